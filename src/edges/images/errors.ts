/** Every failure of the image builder: a code for tests and callers, a message for people. */
export type ImageErrorCode =
  | 'bad_option'
  | 'no_mirror'
  | 'not_root'
  | 'missing_tool'
  | 'command_failed'
  | 'bad_root';

export class ImageError extends Error {
  constructor(readonly code: ImageErrorCode, message: string) {
    super(message);
    this.name = 'ImageError';
  }
}
