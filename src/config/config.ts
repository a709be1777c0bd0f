/** The validated, resolved site configuration. */
export interface Author {
  name?: string;
  email?: string;
}

export interface Config {
  /** Absolute path of the config file. */
  file: string;
  /** The folder the config file is in; relative paths resolve against it. */
  root: string;
  site: {
    title: string;
    description: string;
    /** Absolute, always ending in `/`. */
    baseUrl: string;
    language: string;
    timezone: string;
    permalink: string;
    author: Author;
  };
  content: {
    /** Absolute path. */
    dir: string;
    summaryLength: number;
  };
  build: {
    /** Absolute path. */
    out: string;
    /** Absolute path (may not exist). */
    static: string;
    /** Absolute path of the render cache folder. */
    cache: string;
  };
  feeds: {
    limit: number;
  };
  email: {
    from?: string;
    replyTo?: string;
    subject: string;
    postalAddress: string;
    /** Absolute path of the MJML template, if the config names one. */
    template?: string;
  };
  subscribers: {
    /** Absolute path of the SQLite file. */
    database: string;
  };
  server: {
    /** Ends in `/`. */
    publicUrl?: string;
  };
  smtp: {
    host?: string;
    port?: number;
    secure: boolean;
    user?: string;
    tlsVerify: boolean;
  };
  send: {
    maxConnections: number;
    rateLimit: number;
    retryAttempts: number;
    /** Seconds. */
    retryDelay: number;
  };
  dkim?: {
    domain: string;
    selector: string;
    /** Absolute path of the PEM file. */
    privateKey: string;
  };
}
