import { Injectable } from '@nestjs/common';
import { last4, newId, NotFoundError, SecretBox, type ProviderAppId } from '#common';
import { ProviderAppRepository, type Page, type PageRequest, type ProviderAppEntity, type ProviderAppPatch, type ProviderKind } from '#database';

export interface CreateProviderAppInput {
  name: string;
  kind: ProviderKind;
  appId: string;
  appSecret: string;
  verifyToken: string;
}

export interface UpdateProviderAppInput {
  name?: string;
  /** A new app secret: it becomes the primary one and the current one stays accepted until retired. */
  appSecret?: string;
  /** Ends a rotation: the previous secret is no longer accepted. */
  retirePreviousSecret?: boolean;
  verifyToken?: string;
}

export class ProviderAppNotFoundError extends NotFoundError {
  constructor() {
    super('Provider app', 'PROVIDER_APP_NOT_FOUND');
  }
}

/** The secrets a webhook check may use, decrypted on demand and never returned by the API. */
export interface ProviderAppSecrets {
  appSecrets: string[];
  verifyToken: string;
}

@Injectable()
export class ProviderAppsService {
  constructor(
    private readonly apps: ProviderAppRepository,
    private readonly box: SecretBox,
  ) {}

  create(input: CreateProviderAppInput): Promise<ProviderAppEntity> {
    return this.apps.create({
      id: newId<ProviderAppId>(),
      name: input.name,
      kind: input.kind,
      appId: input.appId,
      appSecretEnc: this.box.encrypt(input.appSecret),
      appSecretLast4: last4(input.appSecret),
      previousAppSecretEnc: null,
      previousAppSecretLast4: null,
      verifyTokenEnc: this.box.encrypt(input.verifyToken),
      verifyTokenLast4: last4(input.verifyToken),
    });
  }

  list(page: PageRequest): Promise<Page<ProviderAppEntity>> {
    return this.apps.list(page);
  }

  async get(id: ProviderAppId): Promise<ProviderAppEntity> {
    const app = await this.apps.findById(id);
    if (!app) throw new ProviderAppNotFoundError();
    return app;
  }

  async update(id: ProviderAppId, input: UpdateProviderAppInput): Promise<ProviderAppEntity> {
    const current = await this.get(id);
    const patch: ProviderAppPatch = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.appSecret !== undefined) {
      // Two secrets are accepted during a rotation: the new one, and the one it replaces.
      patch.previousAppSecretEnc = current.appSecretEnc;
      patch.previousAppSecretLast4 = current.appSecretLast4;
      patch.appSecretEnc = this.box.encrypt(input.appSecret);
      patch.appSecretLast4 = last4(input.appSecret);
    }
    if (input.retirePreviousSecret) {
      patch.previousAppSecretEnc = null;
      patch.previousAppSecretLast4 = null;
    }
    if (input.verifyToken !== undefined) {
      patch.verifyTokenEnc = this.box.encrypt(input.verifyToken);
      patch.verifyTokenLast4 = last4(input.verifyToken);
    }
    const updated = await this.apps.update(id, patch);
    if (!updated) throw new ProviderAppNotFoundError();
    return updated;
  }

  secretsOf(app: ProviderAppEntity): ProviderAppSecrets {
    const appSecrets = [this.box.decrypt(app.appSecretEnc)];
    if (app.previousAppSecretEnc) appSecrets.push(this.box.decrypt(app.previousAppSecretEnc));
    return { appSecrets, verifyToken: this.box.decrypt(app.verifyTokenEnc) };
  }
}
