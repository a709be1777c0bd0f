import type { Config } from '../config/index.js';
import type { Issue } from './issue.js';

/**
 * The topics an issue covers: those whose tags meet the issue's tags or
 * categories (without regard to case), in the config's order.
 */
export function topicsOfIssue(issue: Pick<Issue, 'tags' | 'categories'>, topics: Config['topics']): string[] {
  const labels = new Set([...issue.tags, ...issue.categories].map((t) => t.toLowerCase()));
  return topics.filter((topic) => topic.tags.some((tag) => labels.has(tag))).map((topic) => topic.key);
}
