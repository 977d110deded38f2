/** The benchmark's records: about 1 KB each, deterministic in their index. */
const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor '.repeat(10);

/** A ~1 KB record, deterministic in `i`. */
export function record(i: number): Record<string, unknown> {
  return {
    id: `rec-${i}`,
    number: i,
    title: `Issue number ${i} about something`,
    state: i % 3 === 0 ? 'closed' : 'open',
    author: { login: `user${i % 997}`, id: i % 997, site_admin: false },
    labels: [`label-${i % 7}`, `label-${i % 11}`],
    created_at: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    body: filler.slice(0, 700 + (i % 50)),
  };
}
