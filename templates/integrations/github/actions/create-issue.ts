import { z } from 'zod';
import { createAction } from 'nango';
import { GithubIssue, Issue } from '../models.js';
import { toIssue } from '../mappers/to-issue.js';

const CreateIssueInput = z.object({
    owner: z.string().describe('Owner of the repository (user or organisation), e.g. "octocat"'),
    repo: z.string().describe('Repository name, e.g. "hello-world"'),
    title: z.string().min(1).describe('Issue title'),
    body: z.string().optional().describe('Issue text, Markdown'),
    labels: z.array(z.string()).optional().describe('Label names to add, e.g. ["bug"]'),
    assignees: z.array(z.string()).optional().describe('Logins to assign')
});

export default createAction({
    description: 'Open an issue in a GitHub repository and return it.',
    version: '1.0.0',
    input: CreateIssueInput,
    output: Issue,
    scopes: ['repo'],
    annotations: { title: 'Create GitHub issue', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },

    exec: async (nango, input) => {
        // https://docs.github.com/en/rest/issues/issues#create-an-issue
        const response = await nango.post({
            endpoint: `/repos/${encodeURIComponent(input.owner)}/${encodeURIComponent(input.repo)}/issues`,
            data: {
                title: input.title,
                ...(input.body !== undefined ? { body: input.body } : {}),
                ...(input.labels !== undefined ? { labels: input.labels } : {}),
                ...(input.assignees !== undefined ? { assignees: input.assignees } : {})
            },
            retries: 3
        });

        const parsed = GithubIssue.safeParse(response.data);
        if (!parsed.success) {
            throw new nango.ActionError({ message: 'GitHub returned an unexpected issue payload', issues: parsed.error.issues.length });
        }
        return toIssue(input.owner, input.repo, parsed.data);
    }
});
