export {
  Notifier,
  deliveryKind,
  type Delivery,
  type DeliveryTarget,
  type NotifierOptions,
} from './notifier.js';
export { deliveryHandler, type DeliveryOptions } from './delivery.js';
export { WebhookService, webhookEvents, type WebhookView } from './webhook-service.js';
export { signBody, verifySignature, signatureHeader } from './signature.js';
export { eventsMediaType, sourceOf, type RegistryEvent, type EventAction } from './registry-event.js';
export { runInRequestContext, type RequestContext } from './request-context.js';
export { endpointWants } from './endpoint-filter.js';
export type { NotificationsTables } from './tables.js';
