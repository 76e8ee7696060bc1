import { waitForDatabase } from './database-readiness.js';

const starting = Object.assign(new Error('the database system is starting up'), { code: '57P03' });
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('waitForDatabase', () => {
  const noSleep = { sleep: () => Promise.resolve() };

  it('connects again while PostgreSQL says it is starting up, and returns the connection', async () => {
    let calls = 0;
    const result = await waitForDatabase(() => {
      calls++;
      return calls < 4 ? Promise.reject(starting) : Promise.resolve('connected');
    }, noSleep);
    expect(result).toBe('connected');
    expect(calls).toBe(4);
  });

  it('waits for a server that refuses the connection too (restarting), and says so once', async () => {
    let calls = 0;
    const heard: unknown[] = [];
    const result = await waitForDatabase(
      () => {
        calls++;
        return calls < 3 ? Promise.reject(refused) : Promise.resolve('connected');
      },
      { ...noSleep, onWait: (err) => heard.push(err) },
    );
    expect(result).toBe('connected');
    expect(heard).toEqual([refused]);
  });

  it('does not wait for a database that does not exist, or anything else: its error at once', async () => {
    const missing = Object.assign(new Error('database "araldo" does not exist'), { code: '3D000' });
    let calls = 0;
    const connect = (): Promise<void> => {
      calls++;
      return Promise.reject(missing);
    };
    await expect(waitForDatabase(connect, noSleep)).rejects.toBe(missing);
    expect(calls).toBe(1);
  });

  it('gives up with the last error once its budget is spent', async () => {
    const slept: number[] = [];
    const connect = (): Promise<void> => Promise.reject(starting);
    await expect(waitForDatabase(connect, { budgetMs: 2_000, delayMs: 500, sleep: (ms) => Promise.resolve(void slept.push(ms)) })).rejects.toBe(
      starting,
    );
    expect(slept).toEqual([500, 500, 500, 500]);
  });
});
