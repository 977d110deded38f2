import type { GithubIssue, Issue } from '../models.js';

// Turns GitHub's issue payload into our flat Issue record.
export function toIssue(owner: string, repo: string, raw: GithubIssue): Issue {
    return {
        id: String(raw.id),
        number: raw.number,
        owner,
        repo,
        title: raw.title,
        ...(raw.body ? { body: raw.body } : {}),
        state: raw.state,
        url: raw.html_url,
        ...(raw.user ? { author: raw.user.login } : {}),
        labels: (raw.labels ?? []).map((label) => (typeof label === 'string' ? label : label.name)),
        assignees: (raw.assignees ?? []).map((user) => user.login),
        created_at: raw.created_at,
        updated_at: raw.updated_at,
        ...(raw.closed_at ? { closed_at: raw.closed_at } : {})
    };
}
