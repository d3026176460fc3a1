import type { NotificationEndpoint } from '../config/index.js';
import type { RegistryEvent } from './registry-event.js';

/** Whether a registry:2 endpoint takes this event: enabled, and neither its action nor media type ignored. */
export function endpointWants(
  endpoint: NotificationEndpoint,
  event: Pick<RegistryEvent, 'action' | 'target'>,
): boolean {
  if (endpoint.disabled) return false;
  if (endpoint.ignore.actions.includes(event.action)) return false;
  const mediaType = event.target.mediaType;
  if (mediaType === undefined) return true;
  return !endpoint.ignoredmediatypes.includes(mediaType) && !endpoint.ignore.mediatypes.includes(mediaType);
}
