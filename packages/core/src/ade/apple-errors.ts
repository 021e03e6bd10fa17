import { DeviceAssignmentError } from '@ade/apple/dep/index';

/** What to record and show when a call to Apple fails: Apple's code and a message without secrets. */
export function describeAppleFailure(error: unknown): { code: string; message: string } {
  if (error instanceof DeviceAssignmentError) return { code: error.code, message: error.message };
  if (error instanceof Error && error.message.startsWith('Key management'))
    return { code: 'KEYS_UNAVAILABLE', message: error.message };
  return { code: 'UNEXPECTED', message: 'Calling Apple failed unexpectedly; try again later.' };
}
