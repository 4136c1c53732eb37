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

export const POSTINST = `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  systemd-sysusers absensi-gateway.conf
  systemd-tmpfiles --create absensi-gateway.conf
  chown root:absensi-gateway /etc/absensi-gateway/config.yaml
  chmod 0640 /etc/absensi-gateway/config.yaml
  if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable absensi-gateway.service >/dev/null
    if /usr/bin/absensi-gateway check --config /etc/absensi-gateway/config.yaml >/dev/null 2>&1; then
      systemctl restart absensi-gateway.service
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
    remove|deconfigure) systemctl disable --now absensi-gateway.service >/dev/null 2>&1 || true ;;
    upgrade) systemctl stop absensi-gateway.service || true ;;
  esac
fi
exit 0
`;

export const POSTRM = `#!/bin/sh
set -e
# The punch buffer in /var/lib/absensi-gateway is kept even on purge: remove it by hand once every
# punch is known to be delivered (README "Uninstall").
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload || true
fi
exit 0
`;
