/**
 * `work`'s outcome, or a rejection with `message` when it has not settled within `ms`: for a call
 * a request must not hang on (Redis reconnecting with its offline queue). The timer is cleared
 * either way and never keeps the process alive; `work` itself is not cancelled.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
