// Pure splitter of one SOAP answer as it arrives: HTTP head, then the XML body cut at row
// boundaries into small documents that the codec (codec.ts) decodes like a whole answer.
// Invariants:
// - Pure: no I/O. Bytes go in with push() in the order read, end() once the terminal closed.
// - Each document handed out is `<Root …>` + whole `<Row>…</Row>` elements (and whatever the
//   terminal wrote between them) + `</Root>`, validated and parsed by decodeSoapText, so a slice
//   means exactly what the same rows mean in a whole answer. The last document carries the
//   answer's own end: an answer cut midway (no `</Root>`, a row cut short) fails there with the
//   codec's malformed-XML error (zk-soap-body-xml), after the slices before it were handed out.
// - Memory is bounded by `rowsPerSlice` rows plus one span: text without a row end longer than
//   MAX_SPAN_CHARS (the prolog, a row, the tail) is refused (zk-soap-body), never held on.
// - Body encoding as decodeBodyText: ISO-8859-1 unless the XML declaration names UTF-8; a UTF-8
//   character split between two reads is kept whole (StringDecoder). Content-Length, when sent,
//   is honoured as in decodeHttpResponse (a shorter body is zk-soap-http-truncated).
import { StringDecoder } from 'node:string_decoder';
import { DecodeError } from '../../src/util/errors.js';
import { MAX_HTTP_HEAD_BYTES, bodyEncoding, decodeHttpHead, decodeSoapText, declaredLength, type SoapDocument } from './codec.js';

/** the longest text held without a row end: a GetAttLog row is about 130 characters */
export const MAX_SPAN_CHARS = 64 * 1024;

const ROW_END = /<\/row\s*>/gi;
const PROLOG = /^(?:<\?xml[^>]*\?>\s*)?(<([A-Za-z_][\w.-]*)(?:\s[^>]*?)?(\/?)>)/;

export interface AnswerHead {
  status: number;
  headers: Record<string, string>;
}

export class SoapAnswerSplitter {
  /** the HTTP status and headers, once they arrived */
  head: AnswerHead | undefined;
  /** the XML root element as sent, once it arrived */
  root: string | undefined;
  /** the most characters of body text held at once (the window's text, for tests) */
  peakHeldChars = 0;
  private bytes: Buffer[] = [];
  private held = 0;
  private bodyLeft = Infinity;
  private decoder: StringDecoder | undefined;
  private text = '';
  private openTag = '';
  /** where ROW_END scanning resumes in `text` */
  private scanned = 0;
  /** row ends found in text[0, scanned) and where the last one ends */
  private rowEnds: number[] = [];
  private selfClosed = false;

  constructor(private readonly rowsPerSlice: number) {}

  /** The slices of rows completed by `chunk` (each at most `rowsPerSlice` rows). */
  push(chunk: Uint8Array): SoapDocument[] {
    if (this.head === undefined) {
      this.hold(chunk);
      const all = Buffer.concat(this.bytes, this.held);
      const head = decodeHttpHead(all);
      if (!head) {
        if (all.length >= MAX_HTTP_HEAD_BYTES) throw new DecodeError('zk-soap-http-head', `no end of HTTP headers in ${all.length} bytes`, 0);
        return [];
      }
      this.head = { status: head.status, headers: head.headers };
      this.bodyLeft = declaredLength(head.headers) ?? Infinity;
      this.bytes = [];
      this.held = 0;
      return this.head.status === 200 ? this.pushBody(all.subarray(head.bodyStart)) : [];
    }
    return this.head.status === 200 ? this.pushBody(chunk) : [];
  }

  /** The answer is complete (the terminal closed): the last slice, or the error of a cut answer. */
  end(): SoapDocument[] {
    if (this.head === undefined) throw new DecodeError('zk-soap-http-head', `no end of HTTP headers in ${this.held} bytes`, 0);
    if (this.head.status !== 200) return [];
    if (this.bodyLeft !== Infinity && this.bodyLeft > 0) {
      const length = Number(this.head.headers['content-length']);
      throw new DecodeError('zk-soap-http-truncated', `body has ${length - this.bodyLeft} of ${length} bytes (Content-Length)`, length - this.bodyLeft);
    }
    if (this.decoder === undefined) this.openDecoder();
    this.text += this.decoder!.end();
    if (this.root === undefined || this.selfClosed) return [decodeSoapText(this.text.replace(/^\uFEFF/, '').trim())];
    return [decodeSoapText(this.openTag + this.text)];
  }

  private hold(chunk: Uint8Array): void {
    const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.bytes.push(b);
    this.held += b.length;
  }

  private pushBody(chunk: Uint8Array): SoapDocument[] {
    let bytes = chunk;
    if (bytes.length > this.bodyLeft) bytes = bytes.subarray(0, this.bodyLeft);
    if (this.bodyLeft !== Infinity) this.bodyLeft -= bytes.length;
    if (this.decoder === undefined) {
      // the encoding is named in the XML declaration: wait for its end (or 200 bytes)
      this.hold(bytes);
      const first = Buffer.concat(this.bytes, this.held);
      if (first.length < 200 && !first.subarray(0, 200).includes(0x3e)) return [];
      this.openDecoder();
      return this.pushText('');
    }
    return this.pushText(this.decoder.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  }

  private openDecoder(): void {
    const first = Buffer.concat(this.bytes, this.held);
    this.decoder = new StringDecoder(bodyEncoding(first));
    this.bytes = [];
    this.held = 0;
    this.text = this.decoder.write(first);
  }

  private pushText(more: string): SoapDocument[] {
    this.text += more;
    this.peakHeldChars = Math.max(this.peakHeldChars, this.text.length);
    if (this.selfClosed) return this.bounded([]);
    if (this.root === undefined && !this.openRoot()) return this.bounded([]);
    const out: SoapDocument[] = [];
    ROW_END.lastIndex = this.scanned;
    for (let m = ROW_END.exec(this.text); m; m = ROW_END.exec(this.text)) {
      this.rowEnds.push(m.index + m[0].length);
      if (this.rowEnds.length === this.rowsPerSlice) {
        const cut = this.rowEnds[this.rowEnds.length - 1]!;
        out.push(decodeSoapText(`${this.openTag}${this.text.slice(0, cut)}</${this.root!}>`));
        this.text = this.text.slice(cut);
        this.rowEnds = [];
        ROW_END.lastIndex = 0;
      }
    }
    // a row end may be split between two reads: rescan the last few characters next time
    this.scanned = Math.max(this.rowEnds.at(-1) ?? 0, this.text.length - 16);
    return this.bounded(out);
  }

  /** Whether the root element's start tag has arrived; refuses early what is no XML answer at all. */
  private openRoot(): boolean {
    const text = this.text.replace(/^\uFEFF/, '').trimStart();
    if (text === '') return false;
    if (!text.startsWith('<') || /<!DOCTYPE|<!ENTITY/i.test(text)) decodeSoapText(text); // throws its error
    const m = PROLOG.exec(text);
    if (!m) return false;
    this.root = m[2]!;
    this.openTag = m[1]!;
    this.selfClosed = m[3] === '/';
    this.text = this.selfClosed ? text : text.slice(m[0].length);
    this.scanned = 0;
    return true;
  }

  private bounded(out: SoapDocument[]): SoapDocument[] {
    const span = this.text.length - (this.rowEnds.at(-1) ?? 0);
    if (span > MAX_SPAN_CHARS) throw new DecodeError('zk-soap-body', `more than ${MAX_SPAN_CHARS} characters without a row end: not a GetAttLog row`, 0);
    return out;
  }
}
