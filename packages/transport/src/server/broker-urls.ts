/**
 * The broker's nodes: one amqp:// or amqps:// URL, or several (a comma-separated list or an
 * array) for a cluster. amqp-connection-manager connects to the first that answers and
 * moves on to the next when the connection is lost.
 */
export function parseBrokerUrls(value: string | readonly string[]): string[] {
  const problem = brokerUrlsProblem(value);
  if (problem) throw new Error(problem);
  return splitUrls(value);
}

/** What is wrong with a list of broker URLs, naming the bad entry (its password hidden); undefined when nothing. */
export function brokerUrlsProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' && !(Array.isArray(value) && value.every((entry) => typeof entry === 'string'))) {
    return 'must be an amqp:// or amqps:// URL, or several separated by commas';
  }
  const urls = splitUrls(value);
  if (urls.length === 0) return 'must name at least one amqp:// or amqps:// URL';
  for (const [index, url] of urls.entries()) {
    const position = urls.length > 1 ? `entry ${index + 1} (${hidePassword(url)})` : `"${hidePassword(url)}"`;
    if (!/^amqps?:\/\/\S+$/.test(url)) return `${position} is not an amqp:// or amqps:// URL; list several nodes separated by commas`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `${position} is not a valid URL`;
    }
    if (!parsed.hostname) return `${position} names no host`;
    if (decodeURIComponent(parsed.pathname.slice(1)).includes('/')) return `${position} has a "/" in its vhost: write it as %2F`;
  }
  return undefined;
}

function splitUrls(value: string | readonly string[]): string[] {
  const entries = typeof value === 'string' ? value.split(',') : value;
  return entries.map((entry) => entry.trim()).filter((entry) => entry.length > 0);
}

function hidePassword(url: string): string {
  return url.replace(/^(\w+:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}
