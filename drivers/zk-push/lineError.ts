/** A users-upload line (USER, FP, FACE, BIODATA) that could not be read; it never holds template text. */
export interface UserLineError {
  line: number;
  code: 'fields' | 'pin' | 'size' | 'base64' | 'number';
  message: string;
  /** the line's start, never past `TMP=` */
  excerpt: string;
}
