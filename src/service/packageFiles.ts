// The texts the .deb carries besides the app (package.ts): the CLI wrapper, the default config and
// the maintainer scripts. Shell here is POSIX sh, as dpkg runs it.
// Invariants:
// - The default config validates (`absensi-gateway check` passes) and runs harmlessly: no devices,
//   no sinks, API on loopback. IT staff fill in gateway.id, site, devices and publish.
// - The wrapper, run by root, drops to the service user, so a `queue` or `pull` by an operator
//   never leaves root-owned SQLite -wal/-shm files the daemon cannot open.

export const WRAPPER = `#!/bin/sh
# absensi-gateway CLI (installed by the absensi-gateway .deb).
APP=/usr/lib/absensi-gateway/dist/src/main.js
if [ "$(id -u)" = 0 ] && id absensi-gateway >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
  exec setpriv --reuid=absensi-gateway --regid=absensi-gateway --init-groups -- "$APP" "$@"
fi
# main.js is executable: its shebang carries the node flags the daemon is measured with
exec "$APP" "$@"
`;

export const DEFAULT_CONFIG = `# absensi-gateway configuration. Every key is described in
# /usr/share/doc/absensi-gateway/example.yaml.
# After editing:  absensi-gateway check   then   systemctl restart absensi-gateway
# (a change to devices only needs: systemctl reload absensi-gateway)
gateway:
  id: change-me-01                # unique id of this gateway in the fleet
  site: CHANGE-ME                 # OPD / building code, part of every MQTT topic
  timezone: Asia/Jakarta          # WIB; Asia/Makassar = WITA, Asia/Jayapura = WIT
  dataDir: /var/lib/absensi-gateway

api:
  listen: 127.0.0.1:8080          # status page: http://127.0.0.1:8080/

devices: []
#  - id: lobby-1
#    driver: zk-tcp
#    host: 192.168.1.201

publish: {}
#  mqtt:
#    url: mqtts://broker.example.go.id:8883
#    username: gw-bkpp
#    passwordFile: /etc/absensi-gateway/mqtt.pass
`;

// postinst works wherever dpkg runs: on a running system, in a container, and in a chroot that
// builds an image (no /proc, no /run/systemd/system). The unit is enabled the way debhelper's
// snippet does it (deb-systemd-helper works on files, systemd need not run): on first install and
// after a purge; an upgrade keeps it disabled if the operator disabled it. It is (re)started only
// where systemd runs, only when `check` passes (a start on a bad config would fail the package),
// and through deb-systemd-invoke, which leaves a disabled unit alone and honours policy-rc.d.
export const POSTINST = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  systemd-sysusers absensi-gateway.conf
  if [ -e /proc/self/fd ]; then
    systemd-tmpfiles --create absensi-gateway.conf
  else
    # a chroot without /proc: systemd-tmpfiles cannot run; first boot applies the snippet again
    install -d -m 0750 -o root -g absensi-gateway /etc/absensi-gateway
    install -d -m 0750 -o absensi-gateway -g absensi-gateway /var/lib/absensi-gateway
  fi
  chown root:absensi-gateway /etc/absensi-gateway/config.yaml
  chmod 0640 /etc/absensi-gateway/config.yaml
fi
if [ "$1" = configure ] || [ "$1" = abort-upgrade ] || [ "$1" = abort-deconfigure ] || [ "$1" = abort-remove ]; then
  # unmask what postrm masked on remove; was-enabled is true on a first install
  deb-systemd-helper unmask absensi-gateway.service >/dev/null || true
  if deb-systemd-helper --quiet was-enabled absensi-gateway.service; then
    deb-systemd-helper enable absensi-gateway.service >/dev/null || true
  else
    deb-systemd-helper update-state absensi-gateway.service >/dev/null || true
  fi
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if /usr/bin/absensi-gateway check --config /etc/absensi-gateway/config.yaml >/dev/null 2>&1; then
      deb-systemd-invoke restart absensi-gateway.service
    else
      echo "absensi-gateway: edit /etc/absensi-gateway/config.yaml, run 'absensi-gateway check', then 'systemctl start absensi-gateway'" >&2
    fi
  fi
fi
exit 0
`;

export const PRERM = `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  case "$1" in
    remove|upgrade|deconfigure) deb-systemd-invoke stop absensi-gateway.service || true ;;
  esac
fi
exit 0
`;

// remove masks the unit (its file is gone, its enable links stay until purge), so a reinstall
// comes back enabled; purge forgets the enable state. Neither touches the buffer.
export const POSTRM = `#!/bin/sh
set -e
# The punch buffer in /var/lib/absensi-gateway is kept even on purge: remove it by hand once every
# punch is known to be delivered (README "Uninstall").
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
if [ "$1" = remove ] && [ -x /usr/bin/deb-systemd-helper ]; then
  deb-systemd-helper mask absensi-gateway.service >/dev/null || true
fi
if [ "$1" = purge ] && [ -x /usr/bin/deb-systemd-helper ]; then
  deb-systemd-helper purge absensi-gateway.service >/dev/null || true
  deb-systemd-helper unmask absensi-gateway.service >/dev/null || true
fi
exit 0
`;
