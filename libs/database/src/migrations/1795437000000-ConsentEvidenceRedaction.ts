import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An erasure takes the identifying parts out of the erased citizen's consent evidence (ADR 0008).
 * The ledger stays append-only for the application role (SELECT and INSERT only): this function,
 * owned by the schema's owner, is the one change it may make to past events, and all it does is drop
 * the web form's IP address and user agent and an import's free-text consent note from one
 * subscriber's events, marking them `redacted`. Ids, dates, channels, lists, policy versions and
 * keywords stay: the record that consent existed while it did. It acts only inside the comune the
 * calling transaction is scoped to, as row-level security would.
 */
export class ConsentEvidenceRedaction1795437000000 implements MigrationInterface {
  name = 'ConsentEvidenceRedaction1795437000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION app_redact_consent_evidence(t uuid, s uuid) RETURNS integer
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
      DECLARE n integer;
      BEGIN
        IF t IS DISTINCT FROM NULLIF(current_setting('app.tenant_id', true), '')::uuid
           AND coalesce(current_setting('app.all_tenants', true), '') <> 'on' THEN
          RAISE EXCEPTION 'consent evidence of another comune' USING ERRCODE = '42501';
        END IF;
        UPDATE consent_events SET evidence = (evidence - 'ip' - 'userAgent' - 'consentEvidence') || '{"redacted": true}'::jsonb
         WHERE tenant_id = t AND subscriber_id = s AND evidence ?| ARRAY['ip', 'userAgent', 'consentEvidence'];
        GET DIAGNOSTICS n = ROW_COUNT;
        RETURN n;
      END $$`);
    await q.query(`REVOKE ALL ON FUNCTION app_redact_consent_evidence(uuid, uuid) FROM PUBLIC`);
    await q.query(`GRANT EXECUTE ON FUNCTION app_redact_consent_evidence(uuid, uuid) TO araldo_app`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION app_redact_consent_evidence(uuid, uuid)`);
  }
}
