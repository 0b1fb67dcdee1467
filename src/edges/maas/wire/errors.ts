/**
 * The one error the wire parsers throw: the request body or a header is malformed. The API edge maps
 * it to 400 Bad Request with the message as the explanation, so messages say what was wrong.
 */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}
