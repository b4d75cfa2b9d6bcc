/**
 * The consumer channel merchant notifications are handled on, with its own prefetch
 * (NOTIFY_PREFETCH): a merchant's answer time then only ever holds a slot of this channel,
 * never one of the other handlers'.
 */
export const NOTIFY_CHANNEL = 'notify';
