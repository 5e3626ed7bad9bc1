import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Console sign-in attempts counted per key (a name tried, or a client address), shared by every
 * kepubot process: an attempt is counted here before its password or ticket is checked. Only the
 * key's SHA-256 is stored, never the name or the address.
 */
@Entity({ name: 'login_attempt' })
@Index('ix_login_attempt_window', ['windowStart'])
export class LoginAttempt {
  @PrimaryColumn({ name: 'key_sha256', type: 'char', length: 64, primaryKeyConstraintName: 'PK_login_attempt' })
  keySha256: string;

  /** When the key's current window started (its first attempt in it). */
  @Column({ name: 'window_start', type: 'timestamptz' })
  windowStart: Date;

  /** Attempts in the window not given back (a success gives its attempt back). */
  @Column({ type: 'integer' })
  attempts: number;

  /** A name past its limit: no further attempt before this time (null: not slowed). */
  @Column({ name: 'slow_until', type: 'timestamptz', nullable: true })
  slowUntil: Date | null;
}
