import { z } from 'zod';
import { API_ROUTES, errorBody, type ApiRoute } from './schemas';

const schemaOf = (s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

const ERRORS: Record<string, string> = {
  '400': '请求有误（中文说明）',
  '401': '未登录或会话已过期',
  '403': 'CSRF 校验失败',
  '429': '登录尝试过多',
};

/** The OpenAPI 3.1 document of /api/v1, generated from the routes' zod schemas. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [id, route] of Object.entries(API_ROUTES) as Array<[string, ApiRoute]>) {
    const path = `/api/v1${route.path.replace(/:(\w+)/g, '{$1}')}`;
    const parameters = route.query
      ? Object.entries(schemaOf(route.query, 'input').properties as Record<string, Record<string, unknown>>).map(([name, schema]) => ({
          name,
          in: 'query',
          required: !route.query!.shape[name].safeParse(undefined).success,
          description: schema.description,
          schema,
        }))
      : undefined;
    const errors = Object.fromEntries(
      Object.entries(ERRORS)
        .filter(([code]) => code !== '401' || route.auth !== false)
        .filter(([code]) => code !== '403' || route.method !== 'get')
        .filter(([code]) => code !== '429' || id === 'signIn')
        .map(([code, description]) => [
          code,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
    );
    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: id,
      summary: route.summary,
      ...(route.auth === false ? { security: [] } : {}),
      ...(parameters ? { parameters } : {}),
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } }
        : {}),
      responses: {
        [String(route.status)]: {
          description: route.status === 204 ? '完成' : '成功',
          ...(route.response ? { content: { 'application/json': { schema: schemaOf(route.response, 'output') } } } : {}),
        },
        ...errors,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'kepubot 管理后台 API', version },
    servers: [{ url: '/' }],
    components: {
      schemas: { Error: schemaOf(errorBody, 'output') },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'kepubot_session' },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: 'x-csrf-token',
          description: '写操作（POST/PUT/PATCH/DELETE）必需，取自 GET /api/v1/me',
        },
      },
    },
    security: [{ session: [], csrf: [] }],
    paths,
  };
}
