// What every source gives the pipeline: raw messages (as received) and connection events.
import type { Decoded } from "../pipeline/decoded";

export interface MessageHandler {
  /** One raw message; returns how it decoded (sources react to acks and errors). */
  handle(raw: string, receivedAt: number): Decoded;
  /** The connection dropped: messages may have been missed until the next one arrives. */
  connectionLost(): void;
}

export interface SourceHealth {
  readonly ok: boolean;
  readonly detail: string;
}

export interface Source {
  readonly name: string;
  start(handler: MessageHandler): void;
  /** Stops reading and closes connections. */
  stop(): Promise<void>;
  /** Backpressure from the spool: stop reading until resume(). */
  pause(): void;
  resume(): void;
  /** For finite sources (replay, synthetic with a limit): resolves when all messages were handed over. */
  readonly finished: Promise<void> | undefined;
  health(): SourceHealth;
}
