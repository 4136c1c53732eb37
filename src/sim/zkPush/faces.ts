// The simulated PUSH terminal's face templates: what a face terminal holds per user and how it
// answers the face commands (drivers/zk-push/faceCodec.ts names the sources). Pure: the simulator
// uploads the lines it returns.
// Invariants:
// - It stores faces in one form only, as configured: the FACE table (old firmware, INFO reports
//   FaceVersion) or the BIODATA table (INFO reports MultiBioDataSupport and MultiBioVersion naming
//   one face Type); the other table's commands, and every face command on a terminal configured
//   without faces, are answered -1004 (table not supported, ADMS.md).
// - Return codes as the SDK has them: -10 the PIN does not exist, -9 Size is not the TMP's base64
//   length, -11 a template that is not base64 or is of another algorithm version, -1 a missing or
//   out-of-range field, -1002 a command with no fields at all, -4 a query that finds nothing.
// - A query's answer is upload lines (FACE lines for table=OPERLOG, BIODATA lines for table=BIODATA),
//   returned for the simulator to post before the command's result, as a real terminal does.
// - Keys are read case-insensitively (a uFace server writes SIZE=, VALID=).

export type SimFaceForm = { form: 'FACE'; version: string } | { form: 'BIODATA'; type?: 2 | 9; majorVer: string; minorVer?: string };

export interface SimPushFace {
  pin: string;
  /** FACE FID, BIODATA Index */
  index: number;
  valid: boolean;
  /** base64 */
  tmp: string;
}

export interface FaceAnswer {
  returnCode: number;
  uploads: { table: 'OPERLOG' | 'BIODATA'; line: string }[];
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function fieldsOf(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split('\t')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1);
  }
  return out;
}

const intOf = (text: string | undefined): number | undefined => (text !== undefined && /^\d{1,5}$/.test(text) ? Number(text) : undefined);

export class SimFaceTable {
  /** by `<pin>:<index>` */
  readonly faces = new Map<string, SimPushFace>();

  constructor(private readonly form: SimFaceForm | undefined) {}

  /** the BIODATA face Type, when that is the form */
  private get type(): number | undefined {
    return this.form?.form === 'BIODATA' ? (this.form.type ?? 9) : undefined;
  }

  /** INFO keys: how it stores faces and their version. */
  infoLines(): string[] {
    if (!this.form) return ['FaceFunOn=0'];
    const count = `FaceCount=${this.faces.size}`;
    const form = this.form;
    if (form.form === 'FACE') return ['FaceFunOn=1', `FaceVersion=${form.version}`, count];
    // by Type position (V5.8 §3.2): 1 finger, and the face Type
    const bits = Array.from({ length: 10 }, (_, t) => (t === 1 || t === this.type ? '1' : '0'));
    const versions = Array.from({ length: 10 }, (_, t) => (t === 1 ? '10.0' : t === this.type ? `${form.majorVer}.${form.minorVer ?? '0'}` : '0'));
    return ['FaceFunOn=1', `MultiBioDataSupport=${bits.join(':')}`, `MultiBioVersion=${versions.join(':')}`, count];
  }

  /** Someone enrols faces at the terminal: stored, and the lines it uploads. */
  enrol(pin: string, faces: readonly Omit<SimPushFace, 'pin'>[]): FaceAnswer['uploads'] {
    const out: FaceAnswer['uploads'] = [];
    for (const f of faces) {
      const face = { ...f, pin };
      this.faces.set(`${pin}:${f.index}`, face);
      const line = this.lineOf(face);
      if (line) out.push(line);
    }
    return out;
  }

  /** The user is deleted: its faces go with it (V5.8 §10.2: USERINFO takes fingers, faces, photos). */
  dropUser(pin: string): void {
    for (const key of [...this.faces.keys()]) if (key.startsWith(`${pin}:`)) this.faces.delete(key);
  }

  /** DATA UPDATE|DELETE|QUERY FACE|BIODATA; undefined when it is no such command. */
  execute(command: string, hasUser: (pin: string) => boolean): FaceAnswer | undefined {
    const m = /^DATA (UPDATE|DELETE|QUERY) (FACE|BIODATA)(?: (.*))?$/.exec(command);
    if (!m) return undefined;
    const [, action, table, rest] = m;
    const answer = (returnCode: number, uploads: FaceAnswer['uploads'] = []): FaceAnswer => ({ returnCode, uploads });
    if (this.form?.form !== table) return answer(-1004);
    const f = fieldsOf(rest);
    if (Object.keys(f).length === 0 && action !== 'QUERY') return answer(-1002);
    const pin = f.pin;
    if (action === 'QUERY') return this.query(f);
    if (!pin) return answer(-1);
    if (!hasUser(pin)) return answer(-10);
    if (action === 'DELETE') {
      if (table === 'FACE' || f.type === undefined || intOf(f.type) === this.type) this.dropUser(pin);
      return answer(0);
    }
    return answer(this.update(pin, f, table === 'BIODATA'));
  }

  private update(pin: string, f: Record<string, string>, biodata: boolean): number {
    const index = intOf(biodata ? (f.index ?? '0') : f.fid);
    const tmp = f.tmp ?? '';
    if (index === undefined || index > (biodata ? 15 : 11) || tmp === '') return -1;
    if (!BASE64.test(tmp)) return -11;
    if (f.size !== undefined && Number(f.size) !== tmp.length) return -9;
    if (!biodata && f.size === undefined) return -1;
    if (biodata && this.form?.form === 'BIODATA') {
      if (intOf(f.type) !== this.type) return -1004;
      if (intOf(f.majorver) !== Number(this.form.majorVer) || (intOf(f.minorver) ?? 0) !== Number(this.form.minorVer ?? '0')) return -11;
    }
    this.faces.set(`${pin}:${index}`, { pin, index, valid: f.valid !== '0', tmp });
    return 0;
  }

  private query(f: Record<string, string>): FaceAnswer {
    if (this.form?.form === 'BIODATA' && f.type === undefined) return { returnCode: -1, uploads: [] };
    if (this.type !== undefined && intOf(f.type) !== this.type) return { returnCode: -4, uploads: [] };
    const uploads = [...this.faces.values()].filter((x) => !f.pin || x.pin === f.pin).map((x) => this.lineOf(x)).filter((x) => x !== undefined);
    return { returnCode: uploads.length === 0 ? -4 : 0, uploads };
  }

  private lineOf(x: SimPushFace): FaceAnswer['uploads'][number] | undefined {
    if (this.form?.form === 'FACE') return { table: 'OPERLOG', line: `FACE PIN=${x.pin}\tFID=${x.index}\tSize=${x.tmp.length}\tValid=${x.valid ? 1 : 0}\tTMP=${x.tmp}` };
    if (this.form?.form === 'BIODATA') {
      return { table: 'BIODATA', line: `BIODATA Pin=${x.pin}\tNo=0\tIndex=${x.index}\tValid=${x.valid ? 1 : 0}\tDuress=0\tType=${this.type}\tMajorVer=${this.form.majorVer}\tMinorVer=${this.form.minorVer ?? '0'}\tFormat=0\tTmp=${x.tmp}` };
    }
    return undefined;
  }
}
