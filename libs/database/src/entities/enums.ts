export const TENANT_STATUSES = ['onboarding', 'live', 'suspended'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const TENANT_MODES = ['one_way', 'two_way'] as const;
export type TenantMode = (typeof TENANT_MODES)[number];

export const USER_ROLES = ['operator', 'tenant_admin', 'editor'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const PROVIDER_KINDS = ['meta', 'simulator'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const NUMBER_STATUSES = ['active', 'paused', 'disabled'] as const;
export type NumberStatus = (typeof NUMBER_STATUSES)[number];

/** Meta's messaging limit tiers: distinct users a business portfolio may reach in a rolling 24 h. */
export const MESSAGING_TIERS = ['tier_250', 'tier_2k', 'tier_10k', 'tier_100k', 'unlimited'] as const;
export type MessagingTier = (typeof MESSAGING_TIERS)[number];
