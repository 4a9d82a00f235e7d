import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeBase64,
  decodeCharset,
  decodeHeaderWords,
  decodeQuotedPrintable,
  htmlToText,
  parseContentType,
  parseEmail,
  splitHeaders,
} from './email.js';

const SIMPLE = [
  'From someone@example.com  Thu Aug 22 13:17:22 2002',
  'Return-Path: <a@b.c>',
  'Received: from x',
  '\tby y with SMTP',
  'Subject: Life Insurance -',
  '  Why Pay More?',
  'X-Note: Subject: not this one',
  '',
  'Hello there.',
  'Subject: this line is body, not a header',
  '',
  'Bye.',
].join('\n');

describe('email headers', () => {
  it('ends the headers at the first blank line, keeps the Subject and unfolds continuation lines', () => {
    const e = parseEmail(SIMPLE);
    assert.equal(e.subject, 'Life Insurance - Why Pay More?');
    assert.equal(e.body, 'Hello there.\nSubject: this line is body, not a header\n\nBye.');
    assert.deepEqual(
      e.headers.map(([n]) => n),
      ['return-path', 'received', 'subject', 'x-note'],
    );
    assert.equal(e.headers[1][1], 'from x by y with SMTP');
  });

  it('reads CRLF line ends, a message without a body, and one without a Subject', () => {
    assert.deepEqual(splitHeaders('A: 1\r\nB: 2\r\n\r\nbody\r\nline'), {
      headers: [
        ['a', '1'],
        ['b', '2'],
      ],
      body: 'body\nline',
    });
    const noBody = parseEmail('Subject: only headers\nFrom: x');
    assert.equal(noBody.subject, 'only headers');
    assert.equal(noBody.body, '');
    assert.equal(parseEmail('From: x\n\ntext').subject, '');
  });

  it('decodes RFC 2047 encoded words in the subject', () => {
    assert.equal(decodeHeaderWords('=?utf-8?B?SGVsbG8gV8O2cmxk?='), 'Hello Wörld');
    assert.equal(decodeHeaderWords('=?iso-8859-1?Q?Caf=E9_cr=E8me?= and more'), 'Café crème and more');
    assert.equal(decodeHeaderWords('=?utf-8?Q?a?= =?utf-8?Q?b?='), 'ab');
    assert.equal(parseEmail('Subject: =?windows-1252?Q?=93Hi=94?=\n\nx').subject, '“Hi”');
  });
});

describe('email bodies', () => {
  it('decodes quoted-printable and base64 bodies in their charset', () => {
    assert.equal(decodeQuotedPrintable('a=3Db soft=\nbreak =C3=A9'), 'a=b softbreak \xc3\xa9');
    assert.equal(decodeBase64('SGk=\nIQ=='), 'Hi!');
    assert.equal(decodeCharset('\xc3\xa9', 'utf-8'), 'é');
    assert.equal(decodeCharset('\xe9'), 'é', 'not UTF-8: windows-1252');
    assert.equal(
      decodeCharset('\x93x\x94 \x80', 'iso-8859-1'),
      '“x” €',
      'iso-8859-1 means windows-1252 (WHATWG)',
    );
    assert.equal(decodeCharset('\xa4\xa4', 'big5'), '中');
    assert.equal(
      decodeCharset('\xc3\xa9', 'no-such-charset'),
      'é',
      'an unknown charset falls back to the guess',
    );
    const qp = parseEmail(
      'Subject: s\nContent-Type: text/plain; charset="iso-8859-1"\nContent-Transfer-Encoding: quoted-printable\n\nCaf=E9 =\nopen',
    );
    assert.equal(qp.body, 'Café open');
    const b64 = parseEmail(
      `Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${btoa('gr\xc3\xbc\xc3\x9fe')}`,
    );
    assert.equal(b64.body, 'grüße');
  });

  it('reads raw bytes in the charset of each part (Uint8Array input)', () => {
    const bytes = Uint8Array.from([
      ...new TextEncoder().encode('Subject: x\nContent-Type: text/plain; charset=iso-8859-1\n\n'),
      0x63,
      0x61,
      0x66,
      0xe9,
    ]);
    assert.equal(parseEmail(bytes).body, 'café');
  });

  it('takes text/plain from multipart/alternative and every text part of multipart/mixed, not attachments', () => {
    const raw = [
      'Subject: parts',
      'Content-Type: multipart/mixed; boundary="OUTER"',
      '',
      'preamble is dropped',
      '--OUTER',
      'Content-Type: multipart/alternative;',
      '\tboundary=INNER',
      '',
      '--INNER',
      'Content-Type: text/html',
      '',
      '<p>html version</p>',
      '--INNER',
      'Content-Type: text/plain',
      '',
      'plain version',
      '--INNER--',
      '--OUTER',
      'Content-Type: image/gif',
      'Content-Transfer-Encoding: base64',
      '',
      'R0lGODlhAQABAAAAACw=',
      '--OUTER',
      'Content-Type: text/plain',
      '',
      'a second text part',
      '--OUTER--',
      'epilogue is dropped',
    ].join('\n');
    const e = parseEmail(raw);
    assert.equal(e.body, 'plain version\n\na second text part');
  });

  it('turns HTML into text: no tags, scripts or comments; link targets kept; entities decoded', () => {
    const html =
      '<html><head><title>t</title><style>p{color:red}</style></head><body><!-- c --><p>Buy&nbsp;now &amp; save&#33;</p>' +
      '<a href="http://example.com/x?y=1">click</a><script>var a = 1;</script><br>bye &euro;5</body></html>';
    assert.equal(htmlToText(html), 'Buy now & save! http://example.com/x?y=1 click\nbye €5');
    const e = parseEmail(`Content-Type: text/html\n\n${html}`);
    assert.match(e.body, /^Buy now & save!/);
  });

  it('parses Content-Type parameters', () => {
    const ct = parseContentType('Multipart/Alternative; boundary="=_abc"; charset=UTF-8');
    assert.equal(ct.type, 'multipart/alternative');
    assert.equal(ct.params.get('boundary'), '=_abc');
    assert.equal(ct.params.get('charset'), 'UTF-8');
    assert.equal(parseContentType(undefined).type, 'text/plain');
    assert.equal(parseContentType('garbage').type, 'text/plain');
  });
});
