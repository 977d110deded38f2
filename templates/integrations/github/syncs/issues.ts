import { z } from 'zod';
import { createSync } from 'nango';
import { GithubIssue, Issue } from '../models.js';
import { toIssue } from '../mappers/to-issue.js';

// Which repositories to sync: set with `patchbay connection metadata` (or nango.setMetadata).
const Metadata = z.object({
    repositories: z.array(z.string().regex(/^[^/]+\/[^/]+$/, 'owner/repo')).describe('Repositories as "owner/repo"')
});

// Where the last run stopped, per repository.
const Checkpoint = z.object({
    since: z.string()
});

export default createSync({
    description: 'Issues (not pull requests) of the repositories listed in the connection metadata, updated incrementally.',
    version: '1.0.0',
    frequency: 'every hour',
    syncType: 'incremental',
    autoStart: false,
    models: { Issue },
    metadata: Metadata,
    checkpoint: Checkpoint,
    scopes: ['repo'],

    exec: async (nango) => {
        const metadata = await nango.getMetadata();
        const checkpoint = await nango.getCheckpoint();
        const startedAt = new Date().toISOString();

        for (const fullName of metadata.repositories ?? []) {
            const [owner, repo] = fullName.split('/') as [string, string];
            // https://docs.github.com/en/rest/issues/issues#list-repository-issues
            const pages = nango.paginate<unknown>({
                endpoint: `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/issues`,
                params: { state: 'all', sort: 'updated', direction: 'asc', ...(checkpoint ? { since: checkpoint.since } : {}) },
                paginate: { type: 'link', link_rel_in_response_header: 'next', limit_name_in_request: 'per_page', limit: 100 },
                retries: 5
            });
            for await (const page of pages) {
                const issues = page
                    .map((item) => GithubIssue.parse(item))
                    .filter((issue) => issue.pull_request === undefined)
                    .map((issue) => toIssue(owner, repo, issue));
                if (issues.length > 0) await nango.batchSave(issues, 'Issue');
            }
        }
        await nango.saveCheckpoint({ since: startedAt });
    }
});
