import { z } from 'zod';
import { createSync } from 'nango';
import type { SlackChannel } from '../types.js';

const Channel = z.object({
    id: z.string(),
    name: z.string(),
    is_private: z.boolean(),
    is_archived: z.boolean(),
    is_member: z.boolean(),
    member_count: z.number().optional(),
    topic: z.string().optional(),
    purpose: z.string().optional(),
    created_at: z.string()
});

export default createSync({
    description: 'Public and private channels of the workspace the app can see.',
    version: '1.0.0',
    frequency: 'every 6 hours',
    syncType: 'full',
    trackDeletes: true,
    autoStart: true,
    models: { Channel },
    scopes: ['channels:read', 'groups:read'],

    exec: async (nango) => {
        // https://api.slack.com/methods/conversations.list (cursor pagination)
        const pages = nango.paginate<SlackChannel>({
            endpoint: '/conversations.list',
            params: { types: 'public_channel,private_channel', exclude_archived: 'false' },
            paginate: {
                type: 'cursor',
                cursor_path_in_response: 'response_metadata.next_cursor',
                cursor_name_in_request: 'cursor',
                response_path: 'channels',
                limit_name_in_request: 'limit',
                limit: 200
            },
            retries: 5
        });
        for await (const channels of pages) {
            await nango.batchSave(
                channels.map((c) => ({
                    id: c.id,
                    name: c.name,
                    is_private: c.is_private,
                    is_archived: c.is_archived,
                    is_member: c.is_member ?? false,
                    ...(c.num_members !== undefined ? { member_count: c.num_members } : {}),
                    ...(c.topic?.value ? { topic: c.topic.value } : {}),
                    ...(c.purpose?.value ? { purpose: c.purpose.value } : {}),
                    created_at: new Date(c.created * 1000).toISOString()
                })),
                'Channel'
            );
        }
    }
});
