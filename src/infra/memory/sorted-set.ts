/**
 * A sorted set ordered as Redis orders one (by score, then by member), for the memory adapters'
 * delayed and dead-letter sets: only the range reads the work queue port needs.
 */
const byMember = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class SortedSet {
  private readonly scores = new Map<string, number>();

  /** ZADD: a member already present takes the new score. */
  add(member: string, score: number): void {
    this.scores.set(member, score);
  }

  /** ZREM. */
  remove(member: string): void {
    this.scores.delete(member);
  }

  /** Members scored at most `max`, lowest first, at most `limit` (ZRANGEBYSCORE -inf max LIMIT 0 limit). */
  upTo(max: number, limit: number): Array<string> {
    return [...this.scores]
      .filter(([, score]) => score <= max)
      .sort(([a, x], [b, y]) => x - y || byMember(a, b))
      .slice(0, Math.max(0, limit))
      .map(([member]) => member);
  }

  /** Members with their scores, highest first, at most `limit` (ZREVRANGE 0 limit-1 WITHSCORES). */
  highestFirst(limit: number): Array<{ readonly member: string; readonly score: number }> {
    return [...this.scores]
      .sort(([a, x], [b, y]) => y - x || byMember(b, a))
      .slice(0, Math.max(0, limit))
      .map(([member, score]) => ({ member, score }));
  }
}
