import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who wrote each recurring schedule's current content. A run acts as that person (approval, audit),
 * so an editor cannot get a campaign past the comune's approval by putting it in a schedule or by
 * changing the text of an admin's. Schedules written before this migration are left without one:
 * who last changed their text was never recorded (created_by is only who made the schedule), so
 * their runs wait for an admin whenever the comune requires approval, until someone saves the
 * content again.
 */
export class ScheduleActor1795435000000 implements MigrationInterface {
  name = 'ScheduleActor1795435000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaign_schedules ADD COLUMN content_updated_by uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE campaign_schedules DROP COLUMN content_updated_by`);
  }
}
