import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jobName } from '../../../test/support/arbitraries.js';
import { JOB_NAME_PATTERN, jobNames } from './names.js';

describe('jobNames', () => {
  it('spells one name every way the generated code needs', () => {
    expect(jobNames('audit log export')).toEqual({
      constant: 'AUDIT_LOG_EXPORT',
      kebab: 'audit-log-export',
      pascal: 'AuditLogExport',
      camel: 'auditLogExport',
      title: 'Audit log export',
      handler: 'handleAuditLogExport',
      enqueueMethod: 'enqueueAuditLogExport',
    });
  });

  it('gives the same spellings for every case style of a name', () => {
    for (const spelling of [
      'AUDIT_LOG_EXPORT',
      'audit-log-export',
      'AuditLogExport',
      'auditLogExport',
    ]) {
      expect(jobNames(spelling).constant).toBe('AUDIT_LOG_EXPORT');
      expect(jobNames(spelling).kebab).toBe('audit-log-export');
      expect(jobNames(spelling).pascal).toBe('AuditLogExport');
    }
  });

  it('merges digits instead of writing Export_2', () => {
    expect(jobNames('export 2').pascal).toBe('Export2');
    expect(jobNames('export 2').constant).toBe('EXPORT_2');
  });

  it('always gives identifiers, a file-safe kebab name, and round-trips through the constant', () => {
    fc.assert(
      fc.property(jobName, (name) => {
        expect(name).toMatch(JOB_NAME_PATTERN);
        const names = jobNames(name);
        expect(names.constant).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(names.pascal).toMatch(/^[A-Z][A-Za-z0-9]*$/);
        expect(names.kebab).toMatch(/^[a-z][a-z0-9-]*$/);
        expect(names.kebab).not.toMatch(/--|-$/);
        // `gen:job --remove` and the plop remover are given the QUEUE_NAMES key.
        const again = jobNames(names.constant);
        expect([again.constant, again.kebab, again.pascal, again.handler]).toEqual([
          names.constant,
          names.kebab,
          names.pascal,
          names.handler,
        ]);
      }),
      { numRuns: 2000 },
    );
  });
});
