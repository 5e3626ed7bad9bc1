/**
 * Errors with a meaning of their own, shared by every layer.
 *
 * A UserError is a failure the user caused and can fix: its message is Chinese, says what to do,
 * and is shown as it is (bot reply, CLI output, HTTP 4xx). Anything else is a fault: the user gets
 * a short apology and the log gets the detail.
 */
export class UserError extends Error {
  /** What the caller does with the refusal: decided on this, never on the message text. */
  readonly outcome: UserErrorOutcome;

  constructor(message: string, outcome: UserErrorOutcome = 'show') {
    super(message);
    this.name = 'UserError';
    this.outcome = outcome;
  }
}

/**
 * show: the message is the answer, show it; shown: what is wrong was already shown in detail
 * (each bad row of a roster), the message only sums it up for the audit log, so the command line
 * does not print it again.
 */
export type UserErrorOutcome = 'show' | 'shown';
