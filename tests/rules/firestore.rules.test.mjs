// firestore.rules against the Cloud Firestore emulator: every rule path, an allowed and a
// denied case each.
//
// Needs FIRESTORE_EMULATOR_HOST (host:port of a running Cloud Firestore emulator, the Java one
// that evaluates rules; `tests/rules/test_rules_emulator.py` starts one and runs this file).
// Without it every test is skipped with a message saying so.

import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
  assertFails,
  assertSucceeds,
  initializeTestEnvironment,
} from '@firebase/rules-unit-testing';
import {
  addDoc,
  collection,
  deleteDoc,
  doc,
  getDoc,
  getDocs,
  query,
  serverTimestamp,
  setDoc,
  updateDoc,
  where,
} from 'firebase/firestore';

const HOST = process.env.FIRESTORE_EMULATOR_HOST;
const SKIP = HOST
  ? false
  : 'FIRESTORE_EMULATOR_HOST is not set: no Firestore emulator to evaluate the rules';
const RULES = new URL('../../firestore.rules', import.meta.url);

let env;

const ALICE = 'alice';
const BOB = 'bob';

// Documents the tests read and write, created with the rules disabled (as the functions do).
const SEED = {
  'customer_profiles/alice': {
    displayName: 'Alice',
    email: 'alice@example.test',
    phoneNumber: '+33612345678',
    country: 'FR',
    language: 'fr',
    clientId: 'client-alice',
    fcmTokens: ['token-a'],
    notificationPreferences: { emailEnabled: true, smsEnabled: false },
    lastInboundAt: { sms: new Date('2026-01-01T10:00:00Z') },
  },
  'customer_profiles/bob': { displayName: 'Bob', language: 'en' },
  'tickets/t-alice': { customerId: ALICE, status: 'received', device: 'Phone' },
  'tickets/t-bob': { customerId: BOB, status: 'received', device: 'Laptop' },
  'orders/o-alice': { customerId: ALICE, status: 'placed', total: 10, currency: 'EUR' },
  'orders/o-bob': { customerId: BOB, status: 'placed', total: 20, currency: 'EUR' },
  'carts/c-alice': { customerId: ALICE, status: 'active', reminderStage: 0, items: [] },
  'carts/c-bob': { customerId: BOB, status: 'active', reminderStage: 0, items: [] },
  'clients/client-alice': { name: 'Alice', phone: '+33612345678' },
  'notification_history/n-alice': { customerId: ALICE, status: 'sent', channel: 'sms' },
  'notification_history/n-bob': { customerId: BOB, status: 'sent', channel: 'email' },
  'conversations/alice': { customerId: ALICE },
  'conversations/alice/messages/m1': { direction: 'inbound', body: 'hello' },
  // The shape the inbound flow really writes (shared/flows/inbound_answers.py).
  'inbox/i1': {
    customerId: ALICE,
    clientId: 'client-alice',
    name: 'Alice',
    phone: '+33612345678',
    channel: 'sms',
    provider: 'twilio',
    text: 'is my phone ready?',
    kind: 'text',
    mediaCount: 0,
    receivedAt: new Date('2026-01-01T10:00:00Z'),
    status: 'open',
    conversationId: ALICE,
    messagePath: 'conversations/alice/messages/twilio_abc',
  },
  'consent_events/e1': { customerId: ALICE, channel: 'sms', keyword: 'STOP' },
  'settings/notifications': { quietHours: {} },
  'discount_codes/SAVE10-ABC': { percent: 10, cartId: 'c-alice', customerId: ALICE },
  'phone_index/+33612345678': { customerId: ALICE },
  'provider_status_orphans/SM123': { status: 'delivered' },
  'unlisted_collection/x': { anything: true },
};

const customer = (uid) => env.authenticatedContext(uid).firestore();
const staff = () => env.authenticatedContext('staff-1', { staff: true }).firestore();
const stranger = () => env.unauthenticatedContext().firestore();

describe('firestore.rules', { skip: SKIP }, () => {
  before(async () => {
    const [host, port] = HOST.split(':');
    env = await initializeTestEnvironment({
      projectId: `demo-rules-${process.pid}`,
      firestore: { rules: readFileSync(RULES, 'utf8'), host, port: Number(port) },
    });
  });

  beforeEach(async () => {
    await env.clearFirestore();
    await env.withSecurityRulesDisabled(async (context) => {
      const db = context.firestore();
      for (const [path, data] of Object.entries(SEED)) {
        await setDoc(doc(db, path), data);
      }
    });
  });

  after(async () => {
    await env?.cleanup();
  });

  describe('customer_profiles', () => {
    test('a customer reads their own profile', async () => {
      await assertSucceeds(getDoc(doc(customer(ALICE), 'customer_profiles/alice')));
    });
    test('a customer cannot read another profile, nor can a signed-out visitor', async () => {
      await assertFails(getDoc(doc(customer(BOB), 'customer_profiles/alice')));
      await assertFails(getDoc(doc(stranger(), 'customer_profiles/alice')));
    });
    test('staff read any profile', async () => {
      await assertSucceeds(getDoc(doc(staff(), 'customer_profiles/alice')));
    });
    test('a customer updates preferences, language and push tokens', async () => {
      await assertSucceeds(
        updateDoc(doc(customer(ALICE), 'customer_profiles/alice'), {
          notificationPreferences: { emailEnabled: false, smsEnabled: true, marketingEnabled: true },
          language: 'en',
          fcmTokens: ['token-a', 'token-b'],
        }),
      );
    });
    test('a customer cannot touch what the system keeps', async () => {
      const ref = doc(customer(ALICE), 'customer_profiles/alice');
      await assertFails(updateDoc(ref, { lastInboundAt: { sms: new Date() } }));
      await assertFails(updateDoc(ref, { clientId: 'client-bob' }));
      await assertFails(updateDoc(ref, { consentHistory: [] }));
      await assertFails(updateDoc(ref, { language: 'en', email: 'new@example.test' }));
    });
    test('a customer cannot store malformed preferences or language', async () => {
      const ref = doc(customer(ALICE), 'customer_profiles/alice');
      await assertFails(updateDoc(ref, { language: 'de' }));
      await assertFails(updateDoc(ref, { notificationPreferences: { smsEnabled: 'yes' } }));
      await assertFails(updateDoc(ref, { notificationPreferences: { vip: true } }));
      await assertFails(updateDoc(ref, { fcmTokens: 'token' }));
    });
    test("a customer cannot update another customer's profile; staff cannot either", async () => {
      await assertFails(updateDoc(doc(customer(BOB), 'customer_profiles/alice'), { language: 'en' }));
      await assertFails(updateDoc(doc(staff(), 'customer_profiles/alice'), { language: 'en' }));
    });
    test('a customer creates their own profile with verified contact details', async () => {
      const carol = env
        .authenticatedContext('carol', {
          phone_number: '+33612345670',
          email: 'carol@example.test',
          email_verified: true,
        })
        .firestore();
      await assertSucceeds(
        setDoc(doc(carol, 'customer_profiles/carol'), {
          displayName: 'Carol',
          email: 'carol@example.test',
          phoneNumber: '+33612345670',
          country: 'FR',
          language: 'fr',
          notificationPreferences: { emailEnabled: true },
          fcmTokens: [],
        }),
      );
    });
    test('a sign-up cannot claim a number or an email Auth did not verify', async () => {
      // The hijack: an account naming the victim's number took over its STOP and messages.
      const mallory = env
        .authenticatedContext('mallory', {
          phone_number: '+33699999999',
          email: 'mallory@example.test',
          email_verified: false,
        })
        .firestore();
      const ref = doc(mallory, 'customer_profiles/mallory');
      await assertFails(setDoc(ref, { phoneNumber: '+33612345678' }));
      await assertFails(setDoc(ref, { phoneNumber: '06 99 99 99 99' }));
      await assertFails(setDoc(ref, { email: 'mallory@example.test' }));
      await assertFails(setDoc(ref, { email: 'alice@example.test' }));
      await assertSucceeds(setDoc(ref, { phoneNumber: '+33699999999', language: 'fr' }));
    });
    test('an anonymous user writes no contact detail at all', async () => {
      const anon = env
        .authenticatedContext('anon-1', {
          firebase: { sign_in_provider: 'anonymous' },
          phone_number: '+33612345678',
        })
        .firestore();
      const ref = doc(anon, 'customer_profiles/anon-1');
      await assertFails(setDoc(ref, { phoneNumber: '+33612345678' }));
      await assertFails(setDoc(ref, { email: 'alice@example.test' }));
      await assertSucceeds(setDoc(ref, { language: 'fr', notificationPreferences: {} }));
    });
    test('push tokens are strings, at most twenty', async () => {
      const ref = doc(customer(ALICE), 'customer_profiles/alice');
      await assertFails(updateDoc(ref, { fcmTokens: ['ok', 42] }));
      await assertFails(updateDoc(ref, { fcmTokens: ['ok', { t: 'x' }] }));
      await assertFails(updateDoc(ref, { fcmTokens: Array.from({ length: 21 }, (_, i) => `t${i}`) }));
      await assertSucceeds(updateDoc(ref, { fcmTokens: Array.from({ length: 20 }, (_, i) => `t${i}`) }));
    });
    test('a profile cannot be created with system fields or for someone else', async () => {
      await assertFails(
        setDoc(doc(customer('carol'), 'customer_profiles/carol'), {
          displayName: 'Carol',
          lastInboundAt: { sms: new Date() },
        }),
      );
      await assertFails(
        setDoc(doc(customer('carol'), 'customer_profiles/carol'), { clientId: 'client-alice' }),
      );
      await assertFails(setDoc(doc(customer('carol'), 'customer_profiles/dave'), { language: 'fr' }));
      await assertFails(setDoc(doc(stranger(), 'customer_profiles/carol'), { language: 'fr' }));
    });
    test('nobody deletes a profile from a client', async () => {
      await assertFails(deleteDoc(doc(customer(ALICE), 'customer_profiles/alice')));
      await assertFails(deleteDoc(doc(staff(), 'customer_profiles/alice')));
    });
  });

  for (const [name, own, other, change] of [
    ['tickets', 't-alice', 't-bob', { status: 'completed' }],
    ['orders', 'o-alice', 'o-bob', { status: 'shipped' }],
  ]) {
    describe(name, () => {
      test('a customer reads their own, and queries restricted to them', async () => {
        const db = customer(ALICE);
        await assertSucceeds(getDoc(doc(db, name, own)));
        await assertSucceeds(getDocs(query(collection(db, name), where('customerId', '==', ALICE))));
      });
      test("a customer cannot read another's, nor list them all", async () => {
        const db = customer(ALICE);
        await assertFails(getDoc(doc(db, name, other)));
        await assertFails(getDocs(collection(db, name)));
        await assertFails(getDoc(doc(stranger(), name, own)));
      });
      test('a customer writes nothing', async () => {
        const db = customer(ALICE);
        await assertFails(updateDoc(doc(db, name, own), change));
        await assertFails(setDoc(doc(db, name, 'new-one'), { customerId: ALICE, status: 'placed' }));
      });
      test('staff read, create and update', async () => {
        const db = staff();
        await assertSucceeds(getDocs(collection(db, name)));
        await assertSucceeds(setDoc(doc(db, name, 'new-one'), { customerId: ALICE }));
        await assertSucceeds(updateDoc(doc(db, name, own), change));
      });
      test('staff do not delete (the record ends cancelled instead)', async () => {
        await assertFails(deleteDoc(doc(staff(), name, own)));
      });
    });
  }

  describe('carts', () => {
    test('a customer reads their own cart', async () => {
      await assertSucceeds(getDoc(doc(customer(ALICE), 'carts/c-alice')));
    });
    test("a customer cannot read another's cart", async () => {
      await assertFails(getDoc(doc(customer(ALICE), 'carts/c-bob')));
    });
    test('staff read carts', async () => {
      await assertSucceeds(getDoc(doc(staff(), 'carts/c-bob')));
    });
    test('no client writes a cart, staff included', async () => {
      await assertFails(updateDoc(doc(customer(ALICE), 'carts/c-alice'), { reminderStage: 2 }));
      await assertFails(updateDoc(doc(staff(), 'carts/c-alice'), { status: 'converted' }));
    });
  });

  describe('clients', () => {
    test('staff read, create and update counter records', async () => {
      const db = staff();
      await assertSucceeds(getDoc(doc(db, 'clients/client-alice')));
      await assertSucceeds(setDoc(doc(db, 'clients/client-new'), { name: 'New', phone: '0612' }));
      await assertSucceeds(updateDoc(doc(db, 'clients/client-alice'), { email: 'a@example.test' }));
    });
    test('customers neither read nor write counter records', async () => {
      await assertFails(getDoc(doc(customer(ALICE), 'clients/client-alice')));
      await assertFails(setDoc(doc(customer(ALICE), 'clients/client-x'), { name: 'X' }));
    });
  });

  describe('notification_history', () => {
    test('a customer reads their own messages', async () => {
      const db = customer(ALICE);
      await assertSucceeds(getDoc(doc(db, 'notification_history/n-alice')));
      await assertSucceeds(
        getDocs(query(collection(db, 'notification_history'), where('customerId', '==', ALICE))),
      );
    });
    test("a customer cannot read another's messages", async () => {
      await assertFails(getDoc(doc(customer(ALICE), 'notification_history/n-bob')));
    });
    test('staff read history', async () => {
      await assertSucceeds(getDoc(doc(staff(), 'notification_history/n-bob')));
    });
    test('nobody writes history from a client', async () => {
      await assertFails(
        updateDoc(doc(customer(ALICE), 'notification_history/n-alice'), { status: 'read' }),
      );
      await assertFails(
        addDoc(collection(staff(), 'notification_history'), { customerId: ALICE, status: 'sent' }),
      );
    });
  });

  describe('conversations', () => {
    test('staff read conversations and their messages', async () => {
      const db = staff();
      await assertSucceeds(getDoc(doc(db, 'conversations/alice')));
      await assertSucceeds(getDocs(collection(db, 'conversations/alice/messages')));
    });
    test('customers do not read them and nobody writes them', async () => {
      await assertFails(getDoc(doc(customer(ALICE), 'conversations/alice')));
      await assertFails(getDoc(doc(customer(ALICE), 'conversations/alice/messages/m1')));
      await assertFails(
        addDoc(collection(staff(), 'conversations/alice/messages'), { body: 'hi' }),
      );
    });
  });

  describe('inbox', () => {
    test('staff read the inbox and mark an item handled', async () => {
      const db = staff();
      await assertSucceeds(getDoc(doc(db, 'inbox/i1')));
      await assertSucceeds(updateDoc(doc(db, 'inbox/i1'), { status: 'handled', handledBy: 'staff-1' }));
    });
    test('the received message stays as received; customers see nothing', async () => {
      // Every field the inbound flow writes, not only the ones an earlier rule listed.
      for (const field of ['text', 'phone', 'name', 'clientId', 'provider', 'kind', 'mediaCount',
                           'messagePath', 'customerId', 'channel', 'receivedAt',
                           'conversationId', 'body']) {
        await assertFails(updateDoc(doc(staff(), 'inbox/i1'), { [field]: 'edited' }));
      }
      await assertFails(updateDoc(doc(staff(), 'inbox/i1'), { status: 'deleted' }));
      await assertFails(setDoc(doc(staff(), 'inbox/i2'), { body: 'forged' }));
      await assertFails(deleteDoc(doc(staff(), 'inbox/i1')));
      await assertFails(getDoc(doc(customer(ALICE), 'inbox/i1')));
    });
  });

  describe('consent_events: the proofs a person records', () => {
    const form = (overrides = {}) => ({
      channel: 'email',
      purpose: 'marketing',
      action: 'opt_in',
      source: 'registration_form',
      textVersion: 'signup-2026-11',
      customerId: ALICE,
      to: 'alice@example.test',
      at: serverTimestamp(),
      ...overrides,
    });
    test("a customer records their own registration checkbox, with its text's version", async () => {
      await assertSucceeds(setDoc(doc(customer(ALICE), 'consent_events/form-a1'), form()));
    });
    test('not for someone else, not without the version, not back-dated, not another source',
      async () => {
        const db = customer(ALICE);
        await assertFails(setDoc(doc(db, 'consent_events/f1'), form({ customerId: BOB })));
        const { textVersion, ...noVersion } = form();
        await assertFails(setDoc(doc(db, 'consent_events/f2'), noVersion));
        await assertFails(setDoc(doc(db, 'consent_events/f3'), form({ textVersion: '' })));
        await assertFails(
          setDoc(doc(db, 'consent_events/f4'), form({ at: new Date('2020-01-01T00:00:00Z') })),
        );
        await assertFails(setDoc(doc(db, 'consent_events/f5'), form({ source: 'counter' })));
        await assertFails(setDoc(doc(db, 'consent_events/f6'), form({ source: 'keyword' })));
        await assertFails(setDoc(doc(db, 'consent_events/f7'), form({ channel: 'fax' })));
        await assertFails(setDoc(doc(db, 'consent_events/f8'), form({ extra: true })));
        await assertFails(setDoc(doc(stranger(), 'consent_events/f9'), form()));
        const anon = env
          .authenticatedContext(ALICE, { firebase: { sign_in_provider: 'anonymous' } })
          .firestore();
        await assertFails(setDoc(doc(anon, 'consent_events/f10'), form()));
      });
    test('a recorded proof is never changed or deleted, and customers do not read the ledger',
      async () => {
        const db = customer(ALICE);
        await assertSucceeds(setDoc(doc(db, 'consent_events/form-a2'), form()));
        await assertFails(updateDoc(doc(db, 'consent_events/form-a2'), { action: 'opt_out' }));
        await assertFails(deleteDoc(doc(db, 'consent_events/form-a2')));
        await assertFails(deleteDoc(doc(staff(), 'consent_events/form-a2')));
        await assertFails(getDoc(doc(db, 'consent_events/form-a2')));
      });
    test('staff record what a customer said at the counter, under their own name', async () => {
      const counter = {
        channel: 'sms',
        purpose: 'marketing',
        action: 'opt_in',
        source: 'counter',
        clientId: 'client-alice',
        to: '+33612345678',
        recordedBy: 'staff-1',
        at: serverTimestamp(),
      };
      await assertSucceeds(setDoc(doc(staff(), 'consent_events/counter-1'), counter));
      await assertFails(
        setDoc(doc(staff(), 'consent_events/counter-2'), { ...counter, recordedBy: 'staff-2' }),
      );
      await assertFails(
        setDoc(doc(staff(), 'consent_events/counter-3'), { ...counter, source: 'keyword' }),
      );
      await assertFails(
        setDoc(doc(customer(ALICE), 'consent_events/counter-4'), { ...counter, recordedBy: ALICE }),
      );
    });
  });

  for (const path of [
    'consent_events/e1',
    'settings/notifications',
    'discount_codes/SAVE10-ABC',
    'phone_index/+33612345678',
    'provider_status_orphans/SM123',
  ]) {
    describe(path.split('/')[0], () => {
      test('staff read it', async () => {
        await assertSucceeds(getDoc(doc(staff(), path)));
      });
      test('no client writes it and customers do not read it', async () => {
        await assertFails(setDoc(doc(staff(), path), { forged: true }));
        await assertFails(setDoc(doc(customer(ALICE), path), { forged: true }));
        await assertFails(getDoc(doc(customer(ALICE), path)));
      });
    });
  }

  describe('anything else', () => {
    test('staff read a collection the rules do not name', async () => {
      await assertSucceeds(getDoc(doc(staff(), 'unlisted_collection/x')));
    });
    test('deny by default: no write, no customer read', async () => {
      await assertFails(setDoc(doc(staff(), 'unlisted_collection/y'), { a: 1 }));
      await assertFails(getDoc(doc(customer(ALICE), 'unlisted_collection/x')));
    });
    test('a role field in the token is not the staff claim', async () => {
      const db = env.authenticatedContext('someone', { role: 'staff' }).firestore();
      await assertFails(getDoc(doc(db, 'settings/notifications')));
      await assertFails(updateDoc(doc(db, 'tickets/t-alice'), { status: 'completed' }));
    });
  });
});
