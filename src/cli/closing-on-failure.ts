// The command-line runs (bench, stress) hold an engine on a directory they remove at the end: a run
// that fails must close that engine first, or its workers and its directory lock outlive the run.
import type { MintEngine } from '../engine/mint-engine.js';

/** Runs `work` on the open `engine`; if it fails, closes the engine (its own failure ignored) and rethrows. */
export async function closingOnFailure<T>(engine: MintEngine, work: (engine: MintEngine) => Promise<T>): Promise<T> {
  try {
    return await work(engine);
  } catch (error) {
    await engine.close().catch(() => undefined);
    throw error;
  }
}
