// Whether the files a config names for its secrets are kept secret (issue 15, finding 13).
// Invariants:
// - Every `*File` key but caFile and certFile (certificates are public) holds a secret. Such a
//   file warns when any local user may read it (o+r), or when its group may (g+r) and that group is
//   neither the one this process runs as nor `absensi-gateway` (the .deb's group: 640
//   root:absensi-gateway, as it sets config.yaml, passes). Any `*File` warns when others may write it
//   (o+w): whoever can replace a CA bundle or a key chooses whom the gateway trusts.
// - Only the mode and owner are read (stat); a file that cannot be stat'ed is load.ts's business.
// - A warning names the YAML path, the file, its mode and the command that fixes it, never the
//   content.
import { readFileSync, statSync, type Stats } from 'node:fs';

/** A `*File` key of the config as load.ts read it. */
export interface SecretFileRef {
  /** YAML path of the key, e.g. publish.https.tokenFile */
  path: string;
  key: string;
  file: string;
}

export interface SecretFileWarning extends SecretFileRef {
  /** permission bits, octal, e.g. 0644 */
  mode: string;
  message: string;
}

export const SERVICE_GROUP = 'absensi-gateway';
const PUBLIC_FILE_KEYS = new Set(['caFile', 'certFile']);

export interface PermissionProbe {
  stat: (file: string) => Pick<Stats, 'mode' | 'gid'>;
  /** gids allowed to read a secret: the process's and the service group's */
  trustedGids: ReadonlySet<number>;
}

/** The gid of a group named in /etc/group; undefined when there is none. */
export function groupId(name: string, groupFile = '/etc/group'): number | undefined {
  try {
    const line = readFileSync(groupFile, 'utf8').split('\n').find((l) => l.split(':')[0] === name);
    const gid = Number(line?.split(':')[2]);
    return line !== undefined && Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined;
  }
}

export function defaultProbe(): PermissionProbe {
  const gids = [process.getgid?.(), groupId(SERVICE_GROUP)].filter((g): g is number => g !== undefined);
  return { stat: (file) => statSync(file), trustedGids: new Set(gids) };
}

function fixFor(file: string): string {
  return `chown root:${SERVICE_GROUP} ${file} && chmod 640 ${file} (or chmod 600 if the ${SERVICE_GROUP} user owns it)`;
}

function problemOf(ref: SecretFileRef, st: Pick<Stats, 'mode' | 'gid'>, trustedGids: ReadonlySet<number>): string | undefined {
  const replaceable = (st.mode & 0o002) !== 0;
  if (PUBLIC_FILE_KEYS.has(ref.key)) {
    return replaceable ? `any local user can replace what the gateway trusts; run: chmod o-w ${ref.file}` : undefined;
  }
  const who = [
    ...(st.mode & 0o004 ? ['every local user can read this secret'] : []),
    ...(!(st.mode & 0o004) && st.mode & 0o040 && !trustedGids.has(st.gid) ? [`members of group ${st.gid}, not the gateway's, can read this secret`] : []),
    ...(replaceable ? ['any local user can replace it'] : []),
  ];
  return who.length === 0 ? undefined : `${who.join('; ')}; run: ${fixFor(ref.file)}`;
}

/** One warning per secret file that others may read (or any named file that others may write). */
export function secretFileWarnings(refs: readonly SecretFileRef[], probe: PermissionProbe = defaultProbe()): SecretFileWarning[] {
  const warnings: SecretFileWarning[] = [];
  for (const ref of refs) {
    let st: Pick<Stats, 'mode' | 'gid'>;
    try {
      st = probe.stat(ref.file);
    } catch {
      continue;
    }
    const problem = problemOf(ref, st, probe.trustedGids);
    if (!problem) continue;
    const mode = `0${(st.mode & 0o777).toString(8).padStart(3, '0')}`;
    warnings.push({ ...ref, mode, message: `${ref.path}: ${ref.file} has mode ${mode}: ${problem}` });
  }
  return warnings;
}
