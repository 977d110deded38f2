import { z } from 'zod';
import { createAction } from 'nango';
import type { SlackResponse } from '../types.js';

const Input = z.object({
    channel: z.string().describe('Channel id (C0123…) or name with # (e.g. "#general"); the app must be a member'),
    text: z.string().min(1).describe('Message text (Slack mrkdwn)'),
    thread_ts: z.string().optional().describe('Reply in this thread (the parent message ts)')
});

const Output = z.object({
    channel: z.string(),
    ts: z.string().describe('Message timestamp, its id within the channel'),
    permalink: z.string().optional()
});

interface PostMessageResponse extends SlackResponse {
    channel?: string;
    ts?: string;
}

export default createAction({
    description: 'Post a message to a Slack channel or thread as the app.',
    version: '1.0.0',
    input: Input,
    output: Output,
    scopes: ['chat:write'],

    exec: async (nango, input) => {
        // https://api.slack.com/methods/chat.postMessage
        const response = await nango.post<PostMessageResponse>({
            endpoint: '/chat.postMessage',
            data: { channel: input.channel, text: input.text, ...(input.thread_ts ? { thread_ts: input.thread_ts } : {}) },
            retries: 3
        });
        const body = response.data;
        if (!body.ok || !body.channel || !body.ts) {
            throw new nango.ActionError({ message: `Slack refused the message: ${body.error ?? 'unknown error'}`, slack_error: body.error });
        }

        // https://api.slack.com/methods/chat.getPermalink (best effort)
        const link = await nango.get<SlackResponse & { permalink?: string }>({
            endpoint: '/chat.getPermalink',
            params: { channel: body.channel, message_ts: body.ts }
        });
        return { channel: body.channel, ts: body.ts, ...(link.data.ok && link.data.permalink ? { permalink: link.data.permalink } : {}) };
    }
});
