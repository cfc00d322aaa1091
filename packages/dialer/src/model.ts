import { schema } from '@switchboard/store';

/** Row and settings types of the dialer's tables (defined once, in the store's schema). */
export type CallingWindow = schema.CallingWindow;
export type RetryPolicy = schema.RetryPolicy;
export type CircuitBreaker = schema.CircuitBreaker;
export type CampaignStatus = schema.CampaignStatus;
export type ContactStatus = schema.ContactStatus;
export type Campaign = typeof schema.campaigns.$inferSelect;
export type CampaignContact = typeof schema.campaignContacts.$inferSelect;
export type CallerIdPool = typeof schema.callerIdPools.$inferSelect;
export const CAMPAIGN_STATUSES = schema.CAMPAIGN_STATUSES;
export const CONTACT_STATUSES = schema.CONTACT_STATUSES;
