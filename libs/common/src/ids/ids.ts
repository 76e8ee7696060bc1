import { randomUUID } from 'node:crypto';

declare const brand: unique symbol;
/** A string that the type system keeps apart from other ids, so a user id cannot stand for a tenant id. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type TenantId = Brand<string, 'TenantId'>;
export type UserId = Brand<string, 'UserId'>;
export type NumberId = Brand<string, 'NumberId'>;
export type ProviderAppId = Brand<string, 'ProviderAppId'>;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

export function newId<T extends string>(): T {
  return randomUUID() as T;
}

export const asTenantId = (id: string): TenantId => id as TenantId;
export const asUserId = (id: string): UserId => id as UserId;
export const asNumberId = (id: string): NumberId => id as NumberId;
export const asProviderAppId = (id: string): ProviderAppId => id as ProviderAppId;

export type ContactId = Brand<string, 'ContactId'>;
export type OutboundMessageId = Brand<string, 'OutboundMessageId'>;
export type InboundMessageId = Brand<string, 'InboundMessageId'>;
export type MediaFileId = Brand<string, 'MediaFileId'>;

export const asContactId = (id: string): ContactId => id as ContactId;
export const asOutboundMessageId = (id: string): OutboundMessageId => id as OutboundMessageId;

/** A file in a comune's media library (an image or a document editors attach to campaigns). */
export type MediaAssetId = Brand<string, 'MediaAssetId'>;
export const asMediaAssetId = (id: string): MediaAssetId => id as MediaAssetId;
