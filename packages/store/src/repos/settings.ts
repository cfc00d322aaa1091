import { eq } from 'drizzle-orm';
import type { Db } from '../database.js';
import { instanceSettings } from '../schema.js';

export class SettingsRepo {
  constructor(private readonly db: Db) {}

  async get<T>(key: string): Promise<T | undefined> {
    const [row] = await this.db.select().from(instanceSettings).where(eq(instanceSettings.key, key));
    return row?.value as T | undefined;
  }

  async set(key: string, value: unknown): Promise<void> {
    await this.db
      .insert(instanceSettings)
      .values({ key, value })
      .onConflictDoUpdate({ target: instanceSettings.key, set: { value, updatedAt: new Date() } });
  }

  async delete(key: string): Promise<void> {
    await this.db.delete(instanceSettings).where(eq(instanceSettings.key, key));
  }
}
