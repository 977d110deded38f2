// Slack answers HTTP 200 with { ok: false, error } on failures; every call checks `ok`.
export interface SlackResponse {
    ok: boolean;
    error?: string;
    warning?: string;
}

export interface SlackChannel {
    id: string;
    name: string;
    is_channel?: boolean;
    is_private: boolean;
    is_archived: boolean;
    is_member?: boolean;
    num_members?: number;
    created: number;
    topic?: { value: string };
    purpose?: { value: string };
}
