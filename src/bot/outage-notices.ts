/** What a command gets while the database is unreachable (once per conversation and outage). */
export const OUTAGE_NOTICE = '系统维护中，命令暂时无法处理，请稍后再试；转发的科普内容照常记录。';

/**
 * Who has been told about the current database outage: at most one notice per group (or
 * private conversation) per outage, so an outage never turns into a flood of apologies.
 */
export class OutageNotices {
  private readonly told = new Set<string>();

  /** True the first time a conversation asks during this outage. */
  first(conversation: string): boolean {
    if (this.told.has(conversation)) return false;
    if (this.told.size > 50_000) return false;
    this.told.add(conversation);
    return true;
  }

  /** The database is back: the next outage is a new one. */
  reset(): void {
    this.told.clear();
  }
}
