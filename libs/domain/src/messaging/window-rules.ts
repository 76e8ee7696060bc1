/** WhatsApp's customer service window: free-form messages only within 24 h of the citizen's last message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Margin kept before the window closes, so a message queued at 23:59 of the window is not sent
 * after it has closed (and then fails with 131047).
 */
export const WINDOW_SAFETY_MARGIN_MS = 10 * 60 * 1000;

export function isServiceWindowOpen(lastInboundAt: Date | null, now: Date, marginMs = WINDOW_SAFETY_MARGIN_MS): boolean {
  if (!lastInboundAt) return false;
  return now.getTime() - lastInboundAt.getTime() < SERVICE_WINDOW_MS - marginMs;
}

/** When the window closes (without the margin), or null when it is not open. */
export function serviceWindowClosesAt(lastInboundAt: Date | null, now: Date): Date | null {
  if (!lastInboundAt) return null;
  const closes = new Date(lastInboundAt.getTime() + SERVICE_WINDOW_MS);
  return closes > now ? closes : null;
}
