// EVENT_BUS_REDIS_* for the api and the Celery workers (Dify ≥ 1.13 reads them,
// api/configs/middleware/cache/redis_pubsub_config.py): set only when the event bus has a Redis of
// its own; without them Dify builds the event-bus URL from REDIS_*.
import type { RenderContext } from './types.js';

/** The bundled event-bus service of the compose target. */
export const EVENT_BUS_SERVICE = 'redis_event_bus';

export function eventBusEnv(ctx: RenderContext): Record<string, string> {
  const bus = ctx.plan.redis.eventBus;
  if (bus.mode === 'shared') return {};
  const password = ctx.secrets.EVENT_BUS_REDIS_PASSWORD ?? '';
  const url = bus.mode === 'external' ? ctx.spec.redis.eventBus.url! : `redis://:${encodeURIComponent(password)}@${EVENT_BUS_SERVICE}:6379/0`;
  return {
    // compose feeds the bundled server's --requirepass from it.
    ...(bus.mode === 'bundled' ? { EVENT_BUS_REDIS_PASSWORD: password } : {}),
    EVENT_BUS_REDIS_URL: url,
    EVENT_BUS_REDIS_CHANNEL_TYPE: bus.channelType,
    EVENT_BUS_REDIS_USE_CLUSTERS: String(bus.useClusters),
  };
}
