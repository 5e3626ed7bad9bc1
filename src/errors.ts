/**
 * Errors with a meaning of their own, shared by every layer.
 *
 * A UserError is a failure the user caused and can fix: its message is Chinese, says what to do,
 * and is shown as it is (bot reply, CLI output, HTTP 4xx). Anything else is a fault: the user gets
 * a short apology and the log gets the detail.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
