// Shapes shared by the GitHub functions: what GitHub returns and what we hand back.
import { z } from 'zod';

export const GithubUser = z.object({
    login: z.string(),
    id: z.number()
});

export const GithubLabel = z.object({
    id: z.number(),
    name: z.string(),
    color: z.string().optional()
});

// One issue as the REST API returns it (only the fields we read).
export const GithubIssue = z.object({
    id: z.number(),
    number: z.number(),
    title: z.string(),
    body: z.string().nullable().optional(),
    state: z.string(),
    html_url: z.string(),
    user: GithubUser.nullable().optional(),
    labels: z.array(z.union([GithubLabel, z.string()])).optional(),
    assignees: z.array(GithubUser).nullable().optional(),
    pull_request: z.unknown().optional(),
    created_at: z.string(),
    updated_at: z.string(),
    closed_at: z.string().nullable().optional()
});
export type GithubIssue = z.infer<typeof GithubIssue>;

// The record we keep and return: flat, stable, string id.
export const Issue = z.object({
    id: z.string(),
    number: z.number(),
    owner: z.string(),
    repo: z.string(),
    title: z.string(),
    body: z.string().optional(),
    state: z.string(),
    url: z.string(),
    author: z.string().optional(),
    labels: z.array(z.string()),
    assignees: z.array(z.string()),
    created_at: z.string(),
    updated_at: z.string(),
    closed_at: z.string().optional()
});
export type Issue = z.infer<typeof Issue>;
