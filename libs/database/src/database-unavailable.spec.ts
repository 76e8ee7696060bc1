import { isDatabaseUnavailable, whileDatabaseUnavailable } from './database-unavailable.js';

describe('isDatabaseUnavailable', () => {
  it('recognises a database that went away or cannot be reached', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('connection failure'), { code: '08006' }))).toBe(true);
    // TypeORM's QueryFailedError carries the driver's error.
    expect(isDatabaseUnavailable(Object.assign(new Error('query failed'), { driverError: { code: '57P01', message: 'x' } }))).toBe(true);
  });

  it('does not take a refused statement for an outage', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('deadlock detected'), { code: '40P01' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
    expect(isDatabaseUnavailable(null)).toBe(false);
  });
});

describe('whileDatabaseUnavailable', () => {
  const down = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

  it('runs the work again while the database is down, and returns once it answers', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await whileDatabaseUnavailable(
      () => {
        calls++;
        return calls < 4 ? Promise.reject(down()) : Promise.resolve('recorded');
      },
      { budgetMs: 60_000, delaysMs: [100, 200], sleep: (ms) => Promise.resolve(void slept.push(ms)) },
    );
    expect(result).toBe('recorded');
    expect(slept).toEqual([100, 200, 200]);
  });

  it('gives up with the last error once the budget is spent, and never retries another error', async () => {
    const slept: number[] = [];
    await expect(
      whileDatabaseUnavailable(() => Promise.reject(down()), {
        budgetMs: 450,
        delaysMs: [100, 200],
        sleep: (ms) => Promise.resolve(void slept.push(ms)),
      }),
    ).rejects.toThrow('ECONNREFUSED');
    expect(slept).toEqual([100, 200]);
    let calls = 0;
    await expect(
      whileDatabaseUnavailable(
        () => {
          calls++;
          return Promise.reject(Object.assign(new Error('duplicate key'), { code: '23505' }));
        },
        { budgetMs: 60_000, sleep: () => Promise.resolve() },
      ),
    ).rejects.toThrow('duplicate key');
    expect(calls).toBe(1);
  });
});
