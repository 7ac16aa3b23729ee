import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DeliverPolicy, jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { UserError } from '../../core/errors.js';
import type { Store } from '../../store/store.js';
import { makeTempDir } from '../../store/temp-dir.js';
import type { Preset } from '../presets/preset.js';
import type { StoreRead } from './ingest-store.js';
import { REJECT_RAW, deleteConsumers, dropStageViews, natsError, stageViews, type NatsTarget } from './nats.js';
import { CONSUMER_INACTIVE_MS, StageWriter, stageMessage } from './nats-range.js';

/** Messages held between two reads at most: the consumer is not pulled from beyond it (memory stays bounded when watch is behind). */
const MAX_HELD = 50_000;
/** Messages per pull request of the live consumer. */
const PULL = 5_000;

/**
 * JetStream followed (`watch nats://…`): one ordered consumer for the whole watch, created at the
 * first read from the checkpoint and kept, pulled from continuously into memory; each read takes
 * what has arrived since the last. A read that costs a connection, a consumer created and deleted
 * and a worker thread (readNats, for `ingest`) is ~0.4 s of fixed CPU per batch; here a batch
 * costs its messages.
 *
 * The consumer goes on from where the last read ended; a read whose checkpoint is not that
 * (the last batch was not committed: an error rolled it back) starts a consumer again from the
 * checkpoint, so nothing is lost or doubled. `close` deletes the consumer (issue 17: evtrail
 * leaves none behind); after a kill -9 the server drops it after CONSUMER_INACTIVE_MS.
 */
export class NatsFollower {
  private nc: NatsConnection | undefined;
  private messages: ConsumerMessages | undefined;
  private held: JsMsg[] = [];
  /** The last stream sequence handed out by a read (what the next checkpoint is when that batch committed). */
  private handedTo: string | null = null;
  private started = false;
  private failure: unknown;
  private room: (() => void) | undefined;
  private pump: Promise<void> | undefined;
  private namePrefix = '';
  private dir: string | undefined;
  private generation = 0;

  constructor(
    private readonly target: NatsTarget,
    private readonly preset: Preset,
  ) {}

  async read(store: Store, checkpoint: string | null): Promise<StoreRead> {
    if (!this.started || checkpoint !== this.handedTo) await this.start(checkpoint);
    if (this.failure !== undefined) {
      const error = this.failure;
      await this.stopConsumer();
      this.started = false;
      throw error instanceof UserError ? error : natsError(error, this.target);
    }
    const messages = this.held;
    this.held = [];
    this.room?.();
    const cleanup = async () => {
      await dropStageViews(store).catch(() => undefined);
    };
    if (messages.length === 0) return { rows: 0, last: null, cleanup };
    this.dir ??= makeTempDir('evtrail-nats-', 'the messages read from JetStream');
    const file = path.join(this.dir, `batch-${++this.generation}.txt`);
    const handle = await fs.promises.open(file, 'w');
    try {
      const out = new StageWriter(handle);
      const cloudevents = this.preset.name === 'cloudevents';
      for (const m of messages) {
        const wait = stageMessage(out, m, cloudevents);
        if (wait) await wait;
      }
      await out.close();
    } finally {
      await handle.close();
    }
    const last = String(messages[messages.length - 1]!.info.streamSequence);
    this.handedTo = last;
    await stageViews(store, [file], this.preset, this.target.stream);
    return {
      rows: messages.length, last, rejectRaw: REJECT_RAW,
      cleanup: async () => {
        await cleanup();
        fs.rmSync(file, { force: true });
      },
    };
  }

  /** A consumer from the message after `checkpoint` (or --since, or the start), pulled from in the background. */
  private async start(checkpoint: string | null): Promise<void> {
    await this.stopConsumer();
    this.held = [];
    this.failure = undefined;
    this.handedTo = checkpoint;
    try {
      this.nc ??= await connect({ servers: this.target.servers, timeout: 5000, reconnect: false, name: 'evtrail' });
    } catch (error) {
      throw natsError(error, this.target);
    }
    this.namePrefix = `evtrail_${crypto.randomBytes(6).toString('hex')}`;
    const from = checkpoint === null
      ? this.target.since
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: this.target.since }
        : { deliver_policy: DeliverPolicy.All }
      : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Number(checkpoint) + 1 };
    try {
      const js = jetstream(this.nc, { timeout: 10_000 });
      const consumer = await js.consumers.get(this.target.stream, {
        ...from, name_prefix: this.namePrefix, inactive_threshold: CONSUMER_INACTIVE_MS,
        ...(this.target.subject ? { filter_subjects: this.target.subject } : {}),
      });
      const messages = await consumer.consume({ max_messages: PULL });
      this.messages = messages;
      this.started = true;
      this.pump = (async () => {
        try {
          for await (const m of messages) {
            this.held.push(m);
            // Behind: stop pulling until a read takes what is held.
            if (this.held.length >= MAX_HELD) await new Promise<void>((resolve) => (this.room = resolve));
          }
        } catch (error) {
          this.failure = error;
        }
      })();
    } catch (error) {
      throw natsError(error, this.target);
    }
  }

  private async stopConsumer(): Promise<void> {
    const messages = this.messages;
    this.messages = undefined;
    if (!messages) return;
    await messages.close().catch(() => undefined);
    this.room?.();
    await this.pump?.catch(() => undefined);
    if (this.nc) await deleteConsumers(this.nc, this.target.stream, this.namePrefix);
  }

  /** Deletes the consumer and closes the connection (watch ends). */
  async close(): Promise<void> {
    await this.stopConsumer();
    await this.nc?.close().catch(() => undefined);
    this.nc = undefined;
    this.started = false;
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
