/** Typed failures of the history store; the UI reacts to the class, never to the message. */
import { LanternError } from '@/lib/errors';

/**
 * IndexedDB refused a save for lack of space (its transaction aborted with a DOMException named
 * 'QuotaExceededError'). Nothing of the record was written: a transaction is all or nothing.
 */
export class HistoryFullError extends LanternError {
  readonly code = 'storage-full' as const;
  constructor(
    /** The record that could not be kept. */
    readonly id: string,
    message: string,
  ) {
    super(message);
    this.name = 'HistoryFullError';
  }
}

/** IndexedDB cannot be opened here (absent, blocked by the browser's privacy mode, or a newer schema). */
export class HistoryUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HistoryUnavailableError';
  }
}
