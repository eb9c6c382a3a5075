/** The auth room: RS256 JWT verification per application and client ACLs. */
export {};
