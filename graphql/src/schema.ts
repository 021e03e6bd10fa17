/** The schema: importing the type files registers them on the builder. */
import { builder } from './builder.ts';
import './errors.ts';
import './connection.ts';
import './types/ade-configuration.ts';
import './types/ade-token.ts';
import './types/api-key.ts';
import './types/branding.ts';
import './types/device.ts';
import './types/audit-event.ts';
import './types/node.ts';
import './types/operator.ts';
import './types/partner.ts';
import './types/payload.ts';
import './types/policy.ts';
import './types/tenant.ts';
import './types/viewer.ts';

export const schema = builder.toSchema({ sortSchema: true });
