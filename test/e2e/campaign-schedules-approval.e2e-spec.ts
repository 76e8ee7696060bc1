import type { Client } from 'pg';
import { Clock } from '#common';
import { CampaignSchedulesService, UsersService } from '#domain';
import { ownerClient } from '../support/database.js';
import { createComune, createOperator, login, uniq, type Comune, type Session } from '../support/factories.js';
import { tenantApi } from '../support/tenant-api.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * A recurring schedule's runs go through the comune's approval rule as if the person who wrote the
 * schedule's current content had pressed send: an editor cannot get text past the admins by putting
 * it in a schedule, nor by changing the text of an admin's schedule.
 */
describe('campaign schedules and approval', () => {
  let t: TestApp;
  let db: Client;
  let c: Comune;
  let operator: Session;

  const post: ReturnType<typeof tenantApi>['post'] = (...args) => tenantApi(t).post(...args);
  const patch: ReturnType<typeof tenantApi>['patch'] = (...args) => tenantApi(t).patch(...args);
  const get: ReturnType<typeof tenantApi>['get'] = (...args) => tenantApi(t).get(...args);

  beforeAll(async () => {
    t = await createTestApp();
    db = await ownerClient(t.config);
    c = await createComune(t, 'approva');
    operator = await createOperator(t);
    await tenantApi(t).put(c, c.admin, '/campaign-settings', { requiresApproval: true }).expect(200);
  });
  afterAll(async () => {
    await db.end();
    await t.close();
  });

  const campaign = (body: string) => ({ title: 'Avviso', body, audience: {} });
  const newSchedule = async (s: Session, body: string) =>
    (await post(c, s, '/campaign-schedules', { name: `Ogni giorno ${uniq()}`, cron: '0 10 * * *', campaign: campaign(body) }).expect(201)).body as {
      id: string;
    };

  /** Makes the schedule due, runs the sweep and returns the campaign this schedule's run created. */
  const runOnce = async (id: string) => {
    const before = (await scheduleOf(id)).nextRunAt;
    const clock = t.app.get(Clock);
    clock.travelTo(new Date(new Date(before!).getTime() + 30_000));
    try {
      // Other suites' schedules may be due too (the sweep is global): only this one is looked at.
      expect(await t.app.get(CampaignSchedulesService).runDue()).toBeGreaterThanOrEqual(1);
    } finally {
      clock.reset();
    }
    const after = await scheduleOf(id);
    expect(after.lastCampaignId).not.toBeNull();
    return (await get(c, c.editor, `/campaigns/${after.lastCampaignId}`).expect(200)).body as {
      id: string;
      status: string;
      createdBy: string | null;
    };
  };
  const scheduleOf = async (id: string) => {
    const list = (await get(c, c.editor, '/campaign-schedules').expect(200)).body as {
      id: string;
      nextRunAt: string | null;
      lastCampaignId: string | null;
      createdBy: string | null;
      contentUpdatedBy: string | null;
    }[];
    return list.find((s) => s.id === id)!;
  };
  const auditOf = async (campaignId: string) =>
    (
      await db.query(
        `SELECT action, actor_user_id AS "actorUserId", actor_role AS "actorRole" FROM audit_events WHERE tenant_id = $1 AND target_id = $2`,
        [c.tenant.id, campaignId],
      )
    ).rows as { action: string; actorUserId: string | null; actorRole: string | null }[];
  const ranOf = async (scheduleId: string) =>
    (
      await db.query(
        `SELECT actor_user_id AS "actorUserId", details FROM audit_events WHERE tenant_id = $1 AND action = 'campaign_schedule.ran' AND target_id = $2`,
        [c.tenant.id, scheduleId],
      )
    ).rows as { actorUserId: string; details: Record<string, unknown> }[];
  /** A second admin of the comune, so the one the other tests use stays as it is. */
  const anotherAdmin = async (): Promise<Session> => {
    const email = `admin2-${uniq()}@${c.tenant.slug}.test`;
    const password = `pw-${uniq()}-${uniq()}`;
    const user = (await tenantApi(t).post(c, operator, '/users', { email, password, role: 'tenant_admin' }).expect(201)).body as { id: string };
    return login(t, { email, password, id: user.id });
  };

  it("an editor's schedule run also waits for an admin, recorded in the audit log as the editor's", async () => {
    const sched = await newSchedule(c.editor, 'Testo non approvato da nessun admin');
    expect(await scheduleOf(sched.id)).toMatchObject({ createdBy: c.editor.id, contentUpdatedBy: c.editor.id });
    const run = await runOnce(sched.id);
    expect(run.status).toBe('awaiting_approval');
    expect(run.createdBy).toBe(c.editor.id);
    const events = await auditOf(run.id);
    expect(events).toContainEqual({ action: 'campaign.created', actorUserId: c.editor.id, actorRole: 'editor' });
    expect(events).toContainEqual({ action: 'campaign.submitted_for_approval', actorUserId: c.editor.id, actorRole: 'editor' });
    expect(await ranOf(sched.id)).toEqual([{ actorUserId: c.editor.id, details: { campaignId: run.id, status: 'awaiting_approval' } }]);
    // An admin approves the run like any other campaign waiting for them.
    expect((await post(c, c.admin, `/campaigns/${run.id}/approve`).expect(202)).body.status).toBe('scheduled');
  });

  it("an admin's own schedule runs without approval", async () => {
    const sched = await newSchedule(c.admin, "Testo scritto dall'admin");
    const run = await runOnce(sched.id);
    expect(run.status).not.toBe('awaiting_approval');
    expect(['scheduled', 'sending', 'completed']).toContain(run.status);
    expect(await auditOf(run.id)).toContainEqual({ action: 'campaign.sent', actorUserId: c.admin.id, actorRole: 'tenant_admin' });
  });

  it("an editor who changes the text of an admin's schedule makes its runs wait for an admin", async () => {
    const sched = await newSchedule(c.admin, "Testo scritto dall'admin");
    await patch(c, c.editor, `/campaign-schedules/${sched.id}`, { campaign: campaign("Testo cambiato dall'editor") }).expect(200);
    expect(await scheduleOf(sched.id)).toMatchObject({ createdBy: c.admin.id, contentUpdatedBy: c.editor.id });
    const run = await runOnce(sched.id);
    expect(run.status).toBe('awaiting_approval');
    expect(run.createdBy).toBe(c.editor.id);
  });

  it("an editor who only renames or pauses an admin's schedule leaves its text the admin's", async () => {
    const sched = await newSchedule(c.admin, "Testo scritto dall'admin");
    await patch(c, c.editor, `/campaign-schedules/${sched.id}`, { name: 'Rinominato', active: false }).expect(200);
    await patch(c, c.editor, `/campaign-schedules/${sched.id}`, { active: true }).expect(200);
    expect((await scheduleOf(sched.id)).contentUpdatedBy).toBe(c.admin.id);
    expect((await runOnce(sched.id)).status).not.toBe('awaiting_approval');
  });

  it("an admin who edits an editor's schedule becomes its author: its runs go without approval", async () => {
    const sched = await newSchedule(c.editor, "Testo dell'editor");
    await patch(c, c.admin, `/campaign-schedules/${sched.id}`, { campaign: campaign("Testo rivisto dall'admin") }).expect(200);
    expect(await scheduleOf(sched.id)).toMatchObject({ createdBy: c.editor.id, contentUpdatedBy: c.admin.id });
    const run = await runOnce(sched.id);
    expect(run.status).not.toBe('awaiting_approval');
    expect(run.createdBy).toBe(c.admin.id);
  });

  it('an author since disabled or demoted to editor no longer sends without approval', async () => {
    for (const [change, limit] of [
      [{ disabled: true }, { limitedToEditor: 'author_disabled' }],
      [{ role: 'editor' }, {}],
    ] as const) {
      const admin = await anotherAdmin();
      const sched = await newSchedule(admin, "Testo di un admin che non lo e' piu'");
      await patch(c, operator, `/users/${admin.id}`, change).expect(200);
      const run = await runOnce(sched.id);
      expect(run.status).toBe('awaiting_approval');
      // Still the person responsible for the text, with no more than an editor's say.
      expect(await auditOf(run.id)).toContainEqual({ action: 'campaign.submitted_for_approval', actorUserId: admin.id, actorRole: 'editor' });
      expect(await ranOf(sched.id)).toEqual([{ actorUserId: admin.id, details: { campaignId: run.id, status: 'awaiting_approval', ...limit } }]);
    }
  });

  it('a schedule from before authors were recorded waits for an admin when the comune requires approval', async () => {
    const sched = await newSchedule(c.admin, 'Testo di una programmazione di prima');
    await db.query(`UPDATE campaign_schedules SET content_updated_by = NULL WHERE tenant_id = $1 AND id = $2`, [c.tenant.id, sched.id]);
    const run = await runOnce(sched.id);
    expect(run.status).toBe('awaiting_approval');
    // Put down to the schedule's creator, the only person on record, with an editor's say.
    expect(await ranOf(sched.id)).toEqual([
      { actorUserId: c.admin.id, details: { campaignId: run.id, status: 'awaiting_approval', limitedToEditor: 'no_author_recorded' } },
    ]);
  });

  it('lets one of several admins approving at once win, and records only that approval', async () => {
    const email = `admin2-${uniq()}@${c.tenant.slug}.test`;
    const password = `pw-${uniq()}-${uniq()}`;
    const user = await t.app.get(UsersService).createInTenant(null, c.tenant.id, { email, password, role: 'tenant_admin' });
    const other = await login(t, { email, password, id: user.id });
    const draft = (await post(c, c.editor, '/campaigns', campaign('Approvazione contesa')).expect(201)).body as { id: string };
    expect((await post(c, c.editor, `/campaigns/${draft.id}/send`).expect(202)).body.status).toBe('awaiting_approval');
    const answers = await Promise.all([c.admin, other, c.admin].map((who) => post(c, who, `/campaigns/${draft.id}/approve`)));
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409, 409]);
    const audit = await db.query(`SELECT actor_user_id FROM audit_events WHERE tenant_id = $1 AND target_id = $2 AND action = 'campaign.approved'`, [
      c.tenant.id,
      draft.id,
    ]);
    expect(audit.rows).toHaveLength(1);
    const approvedBy = (await db.query(`SELECT approved_by FROM campaigns WHERE id = $1`, [draft.id])).rows[0].approved_by as string;
    expect(approvedBy).toBe(audit.rows[0].actor_user_id);
  });
});
