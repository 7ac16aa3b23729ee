import type { Key } from 'ink';
import { createContext, useContext, useEffect, useRef } from 'react';
import type { AppData } from './data/app-data.js';
import type { ScreenId } from './keys.js';

/** A screen's key handler: true when it used the key (else the app's global keys get it). */
export type KeyHandler = (input: string, key: Key) => boolean;

/** What a screen is opened with (drill-down): the event, id or type it is about. */
export type ScreenParams = { seq?: number; id?: string; filter?: string; nonce: number };

/** What every screen component is given (here, not in app.tsx: the screens would import the app that loads them). */
export interface ScreenProps {
  active: boolean;
  params: ScreenParams | undefined;
}

export interface AppContextValue {
  data: AppData;
  /** The body's size (the tab bar and the status line take two rows). */
  width: number;
  height: number;
  go(screen: ScreenId, params?: Omit<ScreenParams, 'nonce'>): void;
  back(): void;
  setKeys(screen: ScreenId, handler: KeyHandler | undefined): void;
  /** A line for the status bar (an error, a hint); undefined clears it. */
  say(text: string | undefined): void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('internal: a screen outside the app');
  return value;
}

/** Registers a screen's key handler (the latest closure, without re-registering each render). */
export function useScreenKeys(screen: ScreenId, handler: KeyHandler): void {
  const { setKeys } = useApp();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    setKeys(screen, (input, key) => ref.current(input, key));
    return () => setKeys(screen, undefined);
  }, [screen, setKeys]);
}
