/** An item of `statuses[].errors[]`, as Meta sends it with a failed status (fixture 10). */
export interface AsyncError {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
  href: string;
}

const HREF = 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/';

const asyncError = (code: number, title: string, details: string): AsyncError => ({
  code,
  title,
  message: title,
  error_data: { details },
  href: HREF,
});

export const AsyncErrors = {
  reEngagement: (): AsyncError =>
    asyncError(
      131047,
      'Re-engagement message',
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
    ),
  undeliverable: (): AsyncError => asyncError(131026, 'Message undeliverable', 'Message Undeliverable.'),
  marketingOptOut: (): AsyncError =>
    asyncError(
      131050,
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    ),
};
