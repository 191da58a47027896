import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exceptionOf, failedExchanges } from './tempest.js';

/** Reading tempest's tracebacks and logs, on text as tempest writes it. */
describe('tempest output', () => {
  it('takes the exception at the end of a traceback, on one line', () => {
    const traceback = [
      'Traceback (most recent call last):',
      '  File "/usr/lib/python3/dist-packages/tempest/lib/common/rest_client.py", line 831, in _error_checker',
      '    raise exceptions.BadRequest(resp_body, resp=resp)',
      '          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
      'tempest.lib.exceptions.BadRequest: Bad request',
      "Details: {'code': 400, 'message': 'no'}",
      '',
    ].join('\n');
    assert.equal(exceptionOf(traceback), "tempest.lib.exceptions.BadRequest: Bad request Details: {'code': 400, 'message': 'no'}");
    assert.equal(exceptionOf('testtools.matchers._impl.MismatchError: 2 != 1'), 'testtools.matchers._impl.MismatchError: 2 != 1');
  });

  it('finds the failed exchanges with their bodies, leaving out the 404s of a deletion being waited for', () => {
    const log = [
      '2026-12-02 06:02:30,710 6766 INFO     [tempest.lib.common.rest_client] Request (TestX:test_a): 200 POST http://127.0.0.1:1/v1.0/p/configurations 0.007s',
      "2026-12-02 06:02:30,710 6766 DEBUG    [tempest.lib.common.rest_client] Request - Headers: {'Content-Type': 'application/json'}",
      '        Body: {"configuration": {}}',
      "    Response - Headers: {'status': '200'}",
      "        Body: b'{}'",
      '2026-12-02 06:02:30,721 6766 INFO     [tempest.lib.common.rest_client] Request (TestX:test_a): 422 PUT http://127.0.0.1:1/v1.0/p/instances/i 0.007s',
      "2026-12-02 06:02:30,722 6766 DEBUG    [tempest.lib.common.rest_client] Request - Headers: {'Content-Type': 'application/json'}",
      '        Body: {"instance": {"configuration": "c"}}',
      "    Response - Headers: {'status': '422'}",
      `        Body: b'{"unprocessableEntity":{"code":422}}' _log_request_full /usr/lib/python3/dist-packages/tempest/lib/common/rest_client.py:455`,
      '2026-12-02 06:02:31,000 6767 INFO     [tempest.lib.common.rest_client] Request (TestY:setUpClass): 404 GET http://127.0.0.1:1/v1.0/p/instances/j 0.001s',
      '2026-12-02 06:02:31,100 6767 INFO     [tempest.lib.common.rest_client] Request (TestY:setUpClass): 500 GET http://127.0.0.1:1/v1.0/p/instances/j 0.001s',
      "2026-12-02 06:02:31,200 6767 INFO     [trove_tempest_plugin.tests.base] Instance fault msg: {'message': 'it broke', 'created': 'now'}",
    ].join('\n');
    assert.deepEqual(failedExchanges(log, 'TestX'), ['test_a: 422 PUT /v1.0/p/instances/i\n    request:  {"instance": {"configuration": "c"}}\n    response: b\'{"unprocessableEntity":{"code":422}}\'']);
    // The fault line names no class: it belongs to the class whose request its process logged last.
    assert.deepEqual(failedExchanges(log, 'TestY'), ['setUpClass: 500 GET /v1.0/p/instances/j\n    request:  ?\n    response: ?', "instance fault: {'message': 'it broke', 'created': 'now'}"]);
    assert.equal(failedExchanges(log).length, 3);
  });
});
