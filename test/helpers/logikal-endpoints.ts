/**
 * The MBIOE calls a sync makes, as the emulator's fault script names them: every one but the
 * logout (DELETE /auth), whose faults the tests inject on their own.
 */
export const SYNC_ENDPOINTS: string[] = [
  'POST /auth',
  'GET /directories',
  'POST /directories/select',
  'GET /projects',
  'POST /projects/select',
  'GET /projects/selected',
  'GET /phases',
  'POST /phases/select',
  'GET /elevations',
  'GET /elevations/{elevationId}/thumbnail',
  'POST /elevations/select',
  'GET /elevations/selected/parts-list',
];
